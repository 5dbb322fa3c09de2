# Supply control on a meter (BAD 7.5.4, 7.5.5): the ESME load switch or the GSME valve as a state machine
# {enabled, armed, disabled} x {locked, unlocked} that remembers why it was disabled, plus load limiting (ESME),
# gas power loss and uncontrolled flow (GSME) and the auxiliary load control switch (ALCS) calendar with its
# randomised offset. Pure logic on a dict the role keeps on flash; methods take the UTC time and return the alert
# codes raised, or raise SupplyRefused. Supply flows only when enabled. Runs under MicroPython and CPython.
#
# Inferred [I], in this one place: a disablement by command locks; by credit or load limit does not; by tamper or
# gas power loss locks when so configured. A consumer can enable only an armed supply. Uncontrolled gas flow
# closes the valve and arms it at once with the alarm raised until the consumer enables. ALCS switching times
# are UTC minutes of the day on the weekdays an entry names; each switching is delayed by an offset drawn
# uniformly in [0, limit] seconds.
import os

SUPPLY_ARMED = 0x8F32
TAMPER_DETECTED = 0x8F3F
TAMPER_LOCKED = 0x81BE
GAS_POWER_LOSS = 0x8F1D
LOAD_LIMIT_ARMED = 0x8F33
LOAD_LIMIT_RESTORED = 0x8F34

ENABLED = "enabled"
ARMED = "armed"
DISABLED = "disabled"

BY_COMMAND = "command"
BY_CREDIT = "credit"
BY_TAMPER = "tamper"
BY_POWER_LOSS = "power_loss"
BY_FLOW = "flow"
BY_LOAD_LIMIT = "load_limit"

# Refusal reasons.
PRECONDITION = "precondition_not_met"
GSME_REMOTE_ENABLE = "gsme_cannot_be_enabled_remotely"
NOT_ARMED = "not_armed"

ARMABLE = (BY_COMMAND, BY_POWER_LOSS, BY_TAMPER)  # causes a remote Arm may clear (BAD 7.5.4.6.1)
REMOTE_ENABLEABLE = (BY_COMMAND, BY_TAMPER)  # causes a remote Enable may clear (BAD 7.5.4.6.2)
DAY_MS = 86400000
DEFAULT_OFFSET_LIMIT_S = 600  # BAD 7.5.5.5.1: randomised offset limit default
ALL_DAYS = 0xFE  # an ALCS switching's weekdays, Monday in the top bit (the DLMS bit-string's octet)
CONFIG_KEYS = ("tamper_lock", "depletion_lock", "load_limit_w", "load_limit_period_s", "load_limit_restore_s",
               "load_limit_disable", "flow_limit_w", "offset_limit_s", "alc_schedule")


class SupplyRefused(Exception):
    """A supply command or button press left the state unchanged; `reason` names the rule."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def defaults():
    return {
        "state": ENABLED, "locked": False, "cause": None, "alarm": False,
        "tamper_lock": True, "depletion_lock": False,
        "load_limit_w": 0, "load_limit_period_s": 60, "load_limit_restore_s": 300, "load_limit_disable": True,
        "load_limit_count": 0, "load_w": 0, "over_since": None, "restore_at": None,
        "flow_limit_w": 0,
        "offset_limit_s": DEFAULT_OFFSET_LIMIT_S, "alc_schedule": [], "alc_on": False, "alc_last": None,
        "alc_pending": None, "alc_log": [],
    }


def random_offset_ms(limit_s):
    """A uniform offset in [0, limit_s] seconds, in milliseconds, from the board's random source."""
    return int.from_bytes(os.urandom(4), "big") % (limit_s * 1000 + 1)


class Supply:
    """The supply rules over a state dict (see defaults()); `gas` for a GSME valve."""

    def __init__(self, state, gas=False, offset=random_offset_ms, alc_needs_enabled=True):
        self.s = state
        self.gas = gas
        self.offset = offset
        self.alc_needs_enabled = alc_needs_enabled  # False only for a defective meter

    def on(self):
        return self.s["state"] == ENABLED

    def _set(self, state, cause, locked):
        self.s["state"] = state
        self.s["cause"] = cause
        self.s["locked"] = locked
        if state != ARMED:
            self.s["restore_at"] = None

    def configure(self, values):
        """Set supply configuration (ECS81 tamper state, ECS28a load limiting, GCS24 flow, ECS38 offset limit,
        ECS46c ALC calendar); unknown names raise KeyError."""
        for key in values:
            if key not in CONFIG_KEYS:
                raise KeyError(key)
        for key in values:
            self.s[key] = values[key]

    # ------------------------------------------------------------------ remote commands (7.5.4)
    def disable(self, cause=BY_COMMAND):
        """Disable (ECS43/GCS32 with the default cause): open the switch or close the valve; Locked."""
        self._set(DISABLED, cause, cause == BY_COMMAND)
        return []

    def arm(self):
        """Arm (ECS44/GCS39): from enabled or armed, or disabled by command, gas power loss or tamper; 0x8F32."""
        st = self.s["state"]
        if st == DISABLED and self.s["cause"] not in ARMABLE:
            raise SupplyRefused(PRECONDITION)
        self._set(ARMED, self.s["cause"] if st == DISABLED else BY_COMMAND, False)
        return [SUPPLY_ARMED]

    def enable_remote(self):
        """Enable (ECS42, ESME only): from armed, or disabled by command or tamper; no GSME command exists."""
        if self.gas:
            raise SupplyRefused(GSME_REMOTE_ENABLE)
        st = self.s["state"]
        if st == ENABLED:
            return []
        if st == DISABLED and self.s["cause"] not in REMOTE_ENABLEABLE:
            raise SupplyRefused(PRECONDITION)
        self._set(ENABLED, None, False)
        self.s["alarm"] = False
        return []

    def override(self, on):
        """Bench override of the switch: enabled, or disabled by command."""
        if on:
            self._set(ENABLED, None, False)
            self.s["alarm"] = False
        else:
            self._set(DISABLED, BY_COMMAND, True)

    # ------------------------------------------------------------------ the consumer and the credit
    def consumer_enable(self):
        """The consumer's enable button (meter UI, or PPMID for an ESME): an armed supply is enabled."""
        if self.s["state"] != ARMED:
            raise SupplyRefused(NOT_ARMED)
        self._set(ENABLED, None, False)
        self.s["alarm"] = False
        return []

    def credit_exhausted(self):
        """Prepayment disablement (the 0x8F0F alert is the credit model's)."""
        if self.s["state"] == DISABLED and self.s["cause"] != BY_CREDIT:
            return []
        self._set(DISABLED, BY_CREDIT, False)
        return []

    def credit_restored(self):
        """Credit is back above the disablement threshold: a supply disabled for credit is armed."""
        if self.s["state"] == DISABLED and self.s["cause"] == BY_CREDIT:
            self._set(ARMED, BY_CREDIT, False)
            return [SUPPLY_ARMED]
        return []

    # ------------------------------------------------------------------ physical events (7.5.4.6.4)
    def tamper(self):
        """Unauthorised physical access: disabled, 0x8F3F; with the tamper lock also 0x81BE and Locked."""
        lock = bool(self.s["tamper_lock"])
        self._set(DISABLED, BY_TAMPER, lock)
        return [TAMPER_DETECTED, TAMPER_LOCKED] if lock else [TAMPER_DETECTED]

    def power_loss(self):
        """GSME loss or impending loss of power: valve closed, 0x8F1D, Locked if the depletion state says so."""
        self._set(DISABLED, BY_POWER_LOSS, bool(self.s["depletion_lock"]))
        return [GAS_POWER_LOSS]

    def set_load(self, watts, now_ms):
        """The load (ESME import power, GSME gas flow as power) changes; returns the alerts of tick()."""
        self.s["load_w"] = watts
        if self.gas and self.s["flow_limit_w"] and watts > self.s["flow_limit_w"] and self.on():
            self._set(ARMED, BY_FLOW, False)
            self.s["alarm"] = True
        return self.tick(now_ms)

    def tick(self, now_ms):
        """Time passed: load limit timing and restoration, ALCS switching."""
        return self._load_limit(now_ms) + self._alc(now_ms)

    def _load_limit(self, now_ms):
        s = self.s
        if s["state"] == ARMED and s["cause"] == BY_LOAD_LIMIT and s["restore_at"] is not None \
                and now_ms >= s["restore_at"]:
            self._set(ENABLED, None, False)
            return [LOAD_LIMIT_RESTORED]
        over = not self.gas and s["load_limit_w"] > 0 and s["load_w"] > s["load_limit_w"] and self.on()
        if not over:
            s["over_since"] = None
            return []
        if s["over_since"] is None:
            s["over_since"] = now_ms
        if now_ms - s["over_since"] < s["load_limit_period_s"] * 1000:
            return []
        s["over_since"] = None
        s["load_limit_count"] += 1
        if s["load_limit_disable"]:
            self._set(ARMED, BY_LOAD_LIMIT, False)
            s["restore_at"] = now_ms + s["load_limit_restore_s"] * 1000
        return [LOAD_LIMIT_ARMED]

    # ------------------------------------------------------------------ ALCS calendar (7.5.5)
    def _next_switching(self, after_ms):
        """(time, on) of the first scheduled switching strictly after `after_ms`, or None."""
        best = None
        day = after_ms // DAY_MS
        for d in (day, day + 1):
            monday_bit = 0x80 >> ((d + 3) % 7)  # 1970-01-01 (day 0) was a Thursday
            for entry in self.s["alc_schedule"]:
                if not entry.get("days", ALL_DAYS) & monday_bit:
                    continue
                t = d * DAY_MS + entry["minute"] * 60000
                if t > after_ms and (best is None or t < best[0]):
                    best = (t, entry["on"])
        return best

    def _alc(self, now_ms):
        s = self.s
        if s["alc_last"] is None:
            s["alc_last"] = now_ms
        while True:
            nxt = self._next_switching(s["alc_last"])
            pending = s["alc_pending"]
            if pending is not None and pending[0] <= now_ms and (nxt is None or pending[0] <= nxt[0]):
                s["alc_pending"] = None
                self._switch_alc(pending)
                continue
            if nxt is None or nxt[0] > now_ms:
                break
            s["alc_last"] = nxt[0]
            s["alc_pending"] = [nxt[0] + self.offset(s["offset_limit_s"]), nxt[1], nxt[0]]
        s["alc_last"] = max(s["alc_last"], now_ms)
        return []

    def _switch_alc(self, pending):
        """Switch the ALCS at its offset time, only while the supply is enabled; each outcome is logged."""
        due, on, scheduled = pending
        done = self.on() or not self.alc_needs_enabled
        if done:
            self.s["alc_on"] = on
        self.s["alc_log"] = (self.s["alc_log"] + [{"scheduled": scheduled, "at": due, "on": on,
                                                   "switched": done}])[-8:]

    def snapshot(self):
        """What the consumer sees of the supply (and `ui.supply_state` reports)."""
        return {"state": self.s["state"], "locked": self.s["locked"], "cause": self.s["cause"],
                "on": self.on(), "alarm": self.s["alarm"], "alcs_on": self.s["alc_on"],
                "load_limit_count": self.s["load_limit_count"]}
