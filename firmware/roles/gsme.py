# Gas Smart Metering Equipment role: supply valve, display, keypad, prepayment credit and UTRN top-up;
# GBCS over the HAN (pulled from the CH's queue when it wakes): GCS28 Set Clock, joins (CS03B, CS03C), unjoins, and
# GCS13a sent to the GSME itself (RTDS 4.1.1 has it so) answered from its own register as the GPF answers from the
# mirror (firmware.roles.gas_mirror).
# Its consumption register (what it reports to its mirror on the GPF, han-transport.md 2): "meter.register" gives
# the ZCL Metering attributes {id: int}. [I] The rig's gas flow is a load in watts, so the register counts energy:
# UnitOfMeasure kWh (0), Multiplier 1, Divisor 1000, CurrentSummationDelivered in Wh.
from firmware.roles import device_gbcs
from firmware.roles.prepay import PrepayMeter

WMS_PER_WH = 3600000


class Gsme(PrepayMeter):
    name = "gsme"
    switch = "valve"
    join_alerts = (device_gbcs.JOINED_HAN, device_gbcs.COMMISSIONED)

    def setup(self):
        PrepayMeter.setup(self)
        from firmware import ota_gbcs, ota_role

        # CS06 and GCS38; the OTA client's receipts (0x00CF, GBZ) and activations go out as this role's alerts
        self.ota_handlers = ota_role.attach_if_able(self, reads=(ota_gbcs.GCS38,), gbz=True)

    def alert_content(self, code):
        return self.gbz_alert_content(code)

    def join_codes(self):
        return (device_gbcs.CS03B, device_gbcs.CS03C)

    def methods(self):
        out = PrepayMeter.methods(self)
        out["meter.register"] = self.register
        return out

    def register(self, params):
        """The consumption register as ZCL Metering attributes (ids as decimal strings, as JSON keys are)."""
        return {"attrs": {"0": self.state["used_wms"] // WMS_PER_WH, "768": 0, "769": 1, "770": 1000}}

    def handlers(self):
        from firmware.roles import gas_mirror, set_clock  # loaded with the first GBCS command, not at power-on

        out = PrepayMeter.handlers(self)
        out[set_clock.GCS28] = self.set_clock
        out[gas_mirror.GCS13A] = self.read_consumption
        out.update(self.ota_handlers)
        return out

    def read_consumption(self, msg):
        """GCS13a: the consumption register, encrypted to the requester."""
        from firmware.roles import gas_mirror

        attrs = self.register({})["attrs"]
        if self.defect("gcs13a_register_frozen"):
            attrs["0"] = 0
        return gas_mirror.answer(self._need_gbcs(), {"attrs": attrs}, msg)

    def set_clock(self, msg):
        from firmware.roles import set_clock

        content, _ = set_clock.gcs28(msg.content, self.hal.clock.now_ms())
        return content


ROLE = Gsme
