# Gas Proxy Function role (part of the Communications Hub): its Device Log of the devices joined to the gas meter
# side (CS03B joins, CS04B unjoins), backed up to the DCC with a GCS62 alert after each change (BAD 7.2.1.6.12):
# SEQUENCE {INTEGER alert code 0x8071, GeneralizedTime, SEQUENCE OF SEQUENCE {OCTET STRING EUI, INTEGER type}}
# (RTDS NA_GCS62), MAC'd to the ACB.
import binascii

from firmware.roles import device_gbcs
from firmware.roles.device_gbcs import DeviceGbcs

GCS62 = 0x00B2
ALERT_DEVICE_LOG_BACKUP = 0x8071


class Gpf(DeviceGbcs):
    name = "gpf"
    has_display = False

    def join_codes(self):
        return (device_gbcs.CS03B,)

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
