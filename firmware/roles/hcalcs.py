# HAN-connected Auxiliary Load Control Switch (BAD 7.5.5, a Type 1 device): a switch its ESME turns on and off with
# a HAN command. It obeys only a sender in its own Device Log of type ESME (put there by CS03A2, BAD 7.2.1.6.12);
# a command from any other device is not acted on and is logged as such. GBCS over the HAN as for every device
# (joins, unjoins, firmware.roles.device_gbcs).
#
# Board link:
#   hcalcs.switch {"from": EUI hex, "on": bool}  the host half took a HAN switching command from `from`;
#                                                answers {"obeyed": bool, "on": the switch now}
#   relay.get {}                                 the switch (closed: the auxiliary load is supplied), for the UI
# [I] The switch starts open (load off) until its ESME first closes it.
from firmware.link import param
from firmware.roles import device_gbcs
from firmware.roles.device_gbcs import DeviceGbcs

ESME_TYPE = 1   # deviceType of an ESME in a Device Log entry (BAD Table 11)
SWITCHED, NOT_SWITCHED = 0x0054, 0x0055  # the event log's HAN command acted on / not acted on (device_gbcs)
ONOFF_CLUSTER = 0x0006   # logged as the "message code" of a HAN switching command
DEFECTS = {"device_log_unchecked": "obeys a switching command from a device that is not in its Device Log"}


class Hcalcs(DeviceGbcs):
    name = "hcalcs"
    has_display = True

    def join_codes(self):
        return (device_gbcs.CS03A2,)

    def defaults(self):
        state = DeviceGbcs.defaults(self)
        state["on"] = False
        return state

    def setup(self):
        DeviceGbcs.setup(self)
        self.hal.add_switch("relay", self.state["on"])

    def methods(self):
        out = DeviceGbcs.methods(self)
        out.update({"hcalcs.switch": self.switch_command, "relay.get": self.relay_get})
        return out

    def idle_text(self):
        return "HCALCS LOAD " + ("ON" if self.state["on"] else "OFF")

    def relay_get(self, params):
        return {"on": self.hal.switch.on}

    def switch_command(self, params):
        """A HAN switching command from `from`: obeyed only when that device is an ESME in this Device Log."""
        sender = param(params, "from", str).upper()
        on = param(params, "on", bool)
        entry = self.find(sender)
        obeyed = (entry is not None and entry.get("type") == ESME_TYPE) or self.defect("device_log_unchecked")
        if obeyed:
            self.state["on"] = on
            self.hal.switch.set(on)
            self.refresh_display()
        self._append("events", [self.hal.clock.now_ms(), SWITCHED if obeyed else NOT_SWITCHED, ONOFF_CLUSTER,
                                sender])
        return {"obeyed": obeyed, "on": self.state["on"]}


ROLE = Hcalcs
