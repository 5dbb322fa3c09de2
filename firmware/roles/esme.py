# Electricity Smart Metering Equipment role: supply relay, display, keypad, prepayment credit and UTRN top-up;
# GBCS over the HAN: ECS70 Set Clock, ECS39a/b and ECS40 MPAN, joins (CS03A1 PPMID/HCALCS, CS03B) and unjoins.
from firmware.roles import device_gbcs
from firmware.roles.prepay import PrepayMeter


class Esme(PrepayMeter):
    name = "esme"
    switch = "relay"
    join_alerts = (device_gbcs.JOINED_HAN, device_gbcs.COMMISSIONED)

    def defaults(self):
        state = PrepayMeter.defaults(self)
        state["mpxn"] = {}
        return state

    def setup(self):
        PrepayMeter.setup(self)
        self.cs06 = None
        # the OTA client's receipts and activations go out as this role's GBCS alerts (a board's app provides the
        # client; a bare Hal, as in unit tests, has none)
        if self.gbcs is not None and getattr(self.hal, "ota_client", None) is not None:
            from firmware import ota_role

            self.cs06 = ota_role.attach(self)

    def join_codes(self):
        return (device_gbcs.CS03A1, device_gbcs.CS03B)

    def handlers(self):
        from firmware.roles import mpxn, set_clock  # loaded with the first GBCS command, not at power-on

        out = PrepayMeter.handlers(self)
        out.update({set_clock.ECS70: self.set_clock, mpxn.ECS39A: self.set_mpxn, mpxn.ECS39B: self.set_mpxn,
                    mpxn.ECS40: self.read_mpxn})
        if self.cs06 is not None:
            from firmware import ota_gbcs

            out[ota_gbcs.CS06] = self.cs06
        return out

    def set_mpxn(self, msg):
        from firmware.gbcs import dlms
        from firmware.roles import mpxn

        store = {} if self.defect("mpxn_not_stored") else self.state["mpxn"]
        content = mpxn.set_mpxn(store, msg.content, dlms.invoke_id(msg.counter))
        self.save()
        return content

    def read_mpxn(self, msg):
        from firmware.gbcs import dlms
        from firmware.roles import mpxn

        return mpxn.read_mpxn(self.state["mpxn"], msg.content, dlms.invoke_id(msg.counter))

    def set_clock(self, msg):
        from firmware.gbcs import dlms
        from firmware.roles import set_clock

        content, _ = set_clock.ecs70(msg.content, self.hal.clock.now_ms(), dlms.invoke_id(msg.counter))
        return content


ROLE = Esme
