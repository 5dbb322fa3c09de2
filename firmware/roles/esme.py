# Electricity Smart Metering Equipment role: supply relay, display, keypad, prepayment credit and UTRN top-up;
# GBCS over the HAN: ECS70 Set Clock, ECS39a/b and ECS40 MPAN, ECS46c ALCS calendar, ECS35a/b and ECS15a event and
# security logs, ECS25a2 alert behaviours, joins (CS03A1 PPMID/HCALCS, CS03B) and unjoins, ECS47 Activate Auxiliary
# Load (its ALCS and its joined HCALCS, firmware.roles.load_control).
from firmware.roles import device_gbcs
from firmware.roles.prepay import PrepayMeter


class Esme(PrepayMeter):
    name = "esme"
    switch = "relay"
    join_alerts = (device_gbcs.JOINED_HAN, device_gbcs.COMMISSIONED)

    def defaults(self):
        from firmware.roles import clock_sync

        state = PrepayMeter.defaults(self)
        state["mpxn"] = {}
        state["clock"] = clock_sync.defaults()
        state["alc_override_min"] = None
        return state

    def methods(self):
        out = PrepayMeter.methods(self)
        out["stim.clock_drift"] = self.stim_clock_drift
        out["ch.time"] = self.ch_time
        return out

    def ch_time(self, params):
        """The host half read the CH's time status: whether the CH's time is valid."""
        from firmware.link import param

        self.state["clock"]["ch_valid"] = param(params, "valid", bool)
        self.save()
        return {"ch_valid": self.state["clock"]["ch_valid"]}

    def stim_clock_drift(self, params):
        """Bench stimulus: the meter's crystal runs `seconds` fast (negative: slow)."""
        from firmware.link import param
        from firmware.roles import clock_sync

        clock_sync.drift(self.state["clock"], param(params, "seconds", int) * 1000)
        self.save()
        return {"drift_ms": self.state["clock"]["drift_ms"]}

    def on_time(self, now_ms):
        """Charging, credit and supply as any prepayment meter, then the daily clock synchronisation (0x8F0C when
        the adjustment would exceed 10 s)."""
        from firmware.roles import clock_sync

        PrepayMeter.on_time(self, now_ms)
        clock = self.state["clock"]
        synced = clock["synced_ms"]
        if clock_sync.daily(clock, now_ms, self.defect("adjust_clock_beyond_10s")):
            self.send_device_alert(clock_sync.CLOCK_NOT_ADJUSTED)
        if clock["synced_ms"] != synced:
            self.save()

    def send_device_alert(self, code):
        """As any prepayment meter, unless SRV 6.22 (ECS25a2) disabled the alert."""
        from firmware.roles import alert_config

        if alert_config.enabled(self.state, code, [n for n in alert_config.DEFECTS if self.defect(n)]):
            PrepayMeter.send_device_alert(self, code)

    def setup(self):
        PrepayMeter.setup(self)
        from firmware import ota_gbcs, ota_role

        # CS06 and ECS52; the OTA client's receipts and activations go out as this role's alerts
        self.ota_handlers = ota_role.attach_if_able(self, reads=(ota_gbcs.ECS52,))

    def join_codes(self):
        return (device_gbcs.CS03A1, device_gbcs.CS03B)

    def handlers(self):
        from firmware import alcs_gbcs
        # loaded with the first GBCS command, not at power-on
        from firmware.roles import alert_config, device_logs, load_control, mpxn, set_clock

        out = PrepayMeter.handlers(self)
        out.update(alcs_gbcs.handlers(self))
        out.update(device_logs.handlers(self))
        out.update(alert_config.handlers(self))
        out.update({set_clock.ECS70: self.set_clock, mpxn.ECS39A: self.set_mpxn, mpxn.ECS39B: self.set_mpxn,
                    mpxn.ECS40: self.read_mpxn, load_control.ECS47: lambda msg: load_control.activate(self, msg)})
        out.update(self.ota_handlers)
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

        from firmware.roles import clock_sync

        now = self.hal.clock.now_ms()
        usable = clock_sync.ch_valid(self.state["clock"]) or self.defect("set_clock_without_ch_time")
        content, inside = set_clock.ecs70(msg.content, now, dlms.invoke_id(msg.counter), usable)
        if inside:
            clock_sync.adopt(self.state["clock"], now)
            self.save()
        return content


ROLE = Esme
