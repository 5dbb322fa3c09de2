# Shared behaviour of the metering roles with a supply output (ESME relay, GSME valve); GBCS commands relayed by
# the CHF are checked and run as for every HAN device (firmware.roles.device_gbcs).
from firmware.link import param
from firmware.roles.device_gbcs import DeviceGbcs


class SupplyRole(DeviceGbcs):
    """A meter whose supply switch state persists across power cycles; `switch` names the output."""

    has_display = True
    switch = "relay"

    def defaults(self):
        state = DeviceGbcs.defaults(self)
        state["supply_on"] = True
        return state

    def setup(self):
        DeviceGbcs.setup(self)
        self.hal.add_switch(self.switch, self.state["supply_on"])

    def methods(self):
        out = DeviceGbcs.methods(self)
        out.update({self.switch + ".get": self._get, self.switch + ".set": self._set})
        return out

    def idle_text(self):
        return "%s SUPPLY %s" % (self.name.upper(), "ON" if self.state["supply_on"] else "OFF")

    def _get(self, params):
        return {"on": self.hal.switch.on}

    def _set(self, params):
        on = param(params, "on", bool)
        self.state["supply_on"] = on
        self.save()
        self.hal.switch.set(on)
        self.refresh_display()
        return {"on": on}
