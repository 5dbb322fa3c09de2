# Shared behaviour of the metering roles with a supply output (ESME relay, GSME valve): the supply control state
# machine (firmware.supply_control) behind the switch, persisted on flash, and the consumer's side of it. GBCS
# commands relayed by the CHF are checked and run as for every HAN device (firmware.roles.device_gbcs).
#
# Board link (the device's human interface, for the UI adapter):
#   ui.press {"button": "enable" | "emergency"}  the meter's buttons (keypad keys "B" and "A"); answers the display
#   ui.supply_state {}                           {"state", "locked", "cause", "on", "alarm", "alcs_on", ...}
#   (the idle display ends "ALCS ON" while the auxiliary load control switch is on)
#   display.get / keypad.press                   (core methods) the display text and the keypad
# Physical stimuli the bench applies (a real device needs an operator for these):
#   stim.tamper {}, stim.power_loss {} (GSME), stim.load {"watts": n} (import power; gas flow as power on a GSME)
# Bench override: <switch>.set {"on": bool} forces the supply enabled or disabled by command.
# Remote supply commands arrive through GBCS handlers (ECS42/43/44, GCS32/39, ECS81, ECS28a, ECS38, ECS46c), which
# call remote_enable / remote_disable / remote_arm / configure_supply and answer from the SupplyRefused reason.
from firmware import supply_control
from firmware.link import MethodError, param
from firmware.roles.base import Role
from firmware.roles.device_gbcs import DeviceGbcs
from firmware.supply_control import SupplyRefused

BUTTONS = {"emergency": "A", "enable": "B"}


def _beyond_limit(limit_s):
    """The 'alcs_offset_beyond_limit' defect: an ALCS offset drawn from (limit, 2 x limit] seconds, in ms."""
    return limit_s * 1000 + 1 + supply_control.random_offset_ms(limit_s) % max(1, limit_s * 1000)
DEVICE_ALERTS_KEPT = 16


class SupplyRole(DeviceGbcs):
    """A meter whose supply switch follows the supply control rules; `switch` names the output."""

    has_display = True
    switch = "relay"  # "valve" on a GSME

    def defaults(self):
        state = DeviceGbcs.defaults(self)
        state.update({"supply": supply_control.defaults(), "device_alerts": []})
        state["supply"].update(self.hal.config.get("supply") or {})
        return state

    def setup(self):
        DeviceGbcs.setup(self)
        fresh = supply_control.defaults()
        for key in fresh:
            if key not in self.state["supply"]:
                self.state["supply"][key] = fresh[key]
        offset = _beyond_limit if self.defect("alcs_offset_beyond_limit") else supply_control.random_offset_ms
        self.supply = supply_control.Supply(self.state["supply"], gas=self.switch == "valve", offset=offset,
                                            alc_needs_enabled=not self.defect("alcs_ignores_supply_state"))
        self.hal.add_switch(self.switch, self.supply.on())

    def methods(self):
        out = DeviceGbcs.methods(self)
        out.update({self.switch + ".get": self._get, self.switch + ".set": self._set, "ui.press": self.ui_press,
                    "ui.supply_state": self.ui_supply_state, "stim.tamper": self.stim_tamper,
                    "stim.load": self.stim_load})
        if self.supply.gas:
            out["stim.power_loss"] = self.stim_power_loss
        return out

    def idle_text(self):
        st = self.supply.s["state"]
        word = "ON" if st == supply_control.ENABLED else ("ARMED" if st == supply_control.ARMED else "OFF")
        alcs = " ALCS ON" if self.supply.s["alc_on"] else ""
        return "%s SUPPLY %s%s%s" % (self.name.upper(), word, " LOCKED" if self.supply.s["locked"] else "", alcs)

    def now(self):
        return self.hal.clock.now_ms()

    # ------------------------------------------------------------------ outputs
    def device_alert(self, code):
        """Raise a device alert: a `device_alert` event {code, utc_ms}, kept on flash (the last few). The GBCS
        alert to the DCC is built by the role's GBCS side where it has one (override `send_device_alert`)."""
        record = {"code": code, "utc_ms": self.now()}
        self.state["device_alerts"] = (self.state["device_alerts"] + [record])[-DEVICE_ALERTS_KEPT:]
        self.hal.emit("device_alert", record)
        self.send_device_alert(code)

    def send_device_alert(self, code):
        """Hook for the GBCS alert carrying `code` (none on a meter without its GBCS side)."""

    def settle(self, alerts):
        """After any change: alerts out, the switch to the supply state, the display, flash."""
        for code in alerts:
            self.device_alert(code)
        if self.supply.s["state"] == supply_control.ARMED and self.defect("supply_enabled_without_consumer"):
            self.supply.consumer_enable()
        self.hal.switch.set(self.supply.on())
        self.refresh_display()
        self.save()

    def apply(self, fn):
        """Run a supply rule; its alerts are raised and the state saved, or SupplyRefused propagates unchanged."""
        alerts = fn()
        self.settle(alerts)
        return alerts

    # ------------------------------------------------------------------ remote commands (GBCS handlers call these)
    def remote_disable(self):
        return self.apply(self.supply.disable)

    def remote_arm(self):
        self._unchecked_cause()
        return self.apply(self.supply.arm)

    def remote_enable(self):
        self._unchecked_cause()
        return self.apply(self.supply.enable_remote)

    def _unchecked_cause(self):
        """The 'supply_preconditions_unchecked' defect: any disablement is taken as one by command."""
        if self.defect("supply_preconditions_unchecked") and self.supply.s["state"] == supply_control.DISABLED:
            self.supply.s["cause"] = supply_control.BY_COMMAND

    def configure_supply(self, values):
        self.supply.configure(values)
        self.settle(self.supply.tick(self.now()))

    # ------------------------------------------------------------------ the consumer
    def consumer_enable(self):
        """The enable button: an armed supply is enabled."""
        return self.apply(self.supply.consumer_enable)

    def on_key(self, key):
        if key == BUTTONS["enable"]:
            self.entry = ""
            try:
                self.consumer_enable()
            except SupplyRefused as e:
                self.hal.display.show("CANNOT ENABLE " + e.reason)
            return
        Role.on_key(self, key)

    def ui_press(self, params):
        button = param(params, "button", str)
        if button not in BUTTONS:
            raise MethodError("bad_params", "unknown button %r (expected one of %s)"
                              % (button, ", ".join(sorted(BUTTONS))))
        self.hal.keypad.press(BUTTONS[button])
        return {"display": self.hal.display.text}

    def ui_supply_state(self, params):
        return self.supply.snapshot()

    # ------------------------------------------------------------------ physical stimuli
    def stim_tamper(self, params):
        if self.defect("tamper_not_locked"):
            self.supply.s["tamper_lock"] = False
        return {"alerts": self.apply(self.supply.tamper)}

    def stim_power_loss(self, params):
        quiet = self.defect("no_power_loss_alert")
        return {"alerts": self.apply(lambda: [a for a in self.supply.power_loss()
                                              if not (quiet and a == supply_control.GAS_POWER_LOSS)])}

    def stim_load(self, params):
        watts = param(params, "watts", int)
        if watts < 0:
            raise MethodError("bad_params", "parameter 'watts' is negative")
        self.on_time(self.now())  # charge the old load up to now first
        return {"alerts": self.apply(lambda: self.supply.set_load(watts, self.now()))}

    def on_time(self, now_ms):
        self.settle(self.supply.tick(now_ms))

    # ------------------------------------------------------------------ bench override
    def _get(self, params):
        return {"on": self.hal.switch.on}

    def _set(self, params):
        on = param(params, "on", bool)
        self.supply.override(on)
        self.settle([])
        return {"on": on}
