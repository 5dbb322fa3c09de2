# Gas Proxy Function role (part of the Communications Hub): its Device Log of the devices joined to the gas meter
# side (CS03B joins, CS04B unjoins), backed up to the DCC with a GCS62 alert after each change (BAD 7.2.1.6.12):
# SEQUENCE {INTEGER alert code 0x8071, GeneralizedTime, SEQUENCE OF SEQUENCE {OCTET STRING EUI, INTEGER type}}
# (RTDS NA_GCS62), MAC'd to the ACB. It also holds the GSME's mirror (firmware.roles.gas_mirror): the host half
# passes on what the GSME reports to it ("mirror.update" {"eui", "attrs": {id: int}}), and GCS13a is answered from it.
import binascii

from firmware.roles import device_gbcs
from firmware.roles.device_gbcs import DeviceGbcs

GCS62 = 0x00B2
ALERT_DEVICE_LOG_BACKUP = 0x8071


class Gpf(DeviceGbcs):
    name = "gpf"
    has_display = False

    def defaults(self):
        from firmware.roles import gas_mirror

        state = DeviceGbcs.defaults(self)
        state["mirror"] = gas_mirror.defaults()
        return state

    def methods(self):
        out = DeviceGbcs.methods(self)
        out["mirror.update"] = self.mirror_update
        return out

    def handlers(self):
        from firmware.roles import gas_mirror

        out = DeviceGbcs.handlers(self)
        out[gas_mirror.GCS13A] = self.read_consumption
        return out

    def join_codes(self):
        return (device_gbcs.CS03B,)

    def mirror_update(self, params):
        """The GSME `eui` reported `attrs` ({attribute id: int}) to its mirror on this GPF."""
        from firmware.link import param
        from firmware.roles import gas_mirror

        eui, attrs = param(params, "eui", str).upper(), param(params, "attrs", dict)
        mirror = gas_mirror.update(self.state["mirror"], eui, attrs, self.hal.clock.now_ms(),
                                   keep_first=self.defect("stale_mirror"))
        self.save()
        return {"attrs": mirror["attrs"], "updated_ms": mirror["updated_ms"]}

    def read_consumption(self, msg):
        from firmware.roles import gas_mirror

        return gas_mirror.answer(self._need_gbcs(), self.state["mirror"], msg)

    def devlog_changed(self):
        if self.defect("no_gcs62"):
            return
        from firmware.gbcs import der
        from firmware.roles.set_clock import fields

        entries = [der.sequence(der.octet_string(binascii.unhexlify(e["eui"])), der.integer(e["type"]))
                   for e in self.state["devlog"]]
        body = der.sequence(der.integer(ALERT_DEVICE_LOG_BACKUP),
                            der.generalized_time(*fields(self.hal.clock.now_ms())), der.sequence(*entries))
        self.send_alert(self._need_gbcs().acb, GCS62, body)


ROLE = Gpf
