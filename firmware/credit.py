# Prepayment credit on a meter (BAD 7.3.2, 7.5.1.5.3): meter balance, emergency credit (EC), debt recovery,
# low-credit and disablement thresholds with their alerts, the non-disablement calendar and the payment mode.
# Pure logic on a dict the role keeps on flash; every method takes the UTC time and returns the alert codes it
# raised (the role sends them). Amounts are in pennies. Runs under MicroPython and CPython.
#
# Where the BAD is silent the rules below are inferred [I] from SMETS2 and the ZSE Prepayment cluster, in this
# one place:
# - [I] EC: the meter balance may go below zero while EC is in use, down to -ec_limit; EC stays in use until a
#   top-up brings the meter balance back to zero or more (the EC used is repaid first, from the balance).
# - [I] Combined credit = meter balance + the EC still available when EC is in use; it is what the low-credit and
#   disablement thresholds compare against.
# - [I] Time-based debt (2 registers) is collected once per UTC day, at midnight, at each register's daily rate,
#   all registers together at most the debt recovery rate cap per day (0: no cap); not while EC is in use or
#   the credit is exhausted when the suspend flags say so, and not in credit mode.
# - [I] Payment-based debt takes `payment_debt_pct` percent of each top-up until the payment debt register is 0.
# - [I] A payment mode switch keeps the meter balance and every debt register; in credit mode there is no
#   low-credit warning, no EC and no disablement, and EC in use is ended.
# - [I] Non-disablement periods are UTC weekly windows {"days": [0..6 with 0 = Monday], "start": minute,
#   "end": minute} plus special days "YYYY-MM-DD" (whole days), and the calendar SRV 2.1 sets (ECS08: a DLMS
#   schedule and special days table, firmware.nd_calendar).
from firmware import nd_calendar
from firmware.cosem import _civil

LOW_CREDIT = 0x810D
CREDIT_ADDED_LOCALLY = 0x810E
EC_ACTIVATED = 0x8119
DISABLEMENT = 0x8F0F
DISABLEMENT_SUSPENDED = 0x8F83

PREPAYMENT = "prepayment"
CREDIT = "credit"
MODES = (PREPAYMENT, CREDIT)
DAY_MS = 86400000

# Refusal reasons of activate_ec.
EC_NOT_AVAILABLE = "ec_not_available"
EC_IN_USE = "ec_in_use"
PIN_REQUIRED = "privacy_pin_required"
CREDIT_MODE = "credit_mode"

CONFIG_KEYS = ("low_credit_threshold", "ec_limit", "ec_threshold", "disablement_threshold",
               "debt_recovery_rate_cap", "suspend_debt_emergency", "suspend_debt_disabled", "non_disablement",
               "special_days")


class CreditRefused(Exception):
    """A consumer or supplier credit action was refused; `reason` names the rule."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def defaults():
    """A fresh credit state: prepayment mode, zero balance and debt, every threshold 0 until the supplier sets them
    (SRV 2.1) or the bench's configuration gives factory values."""
    return {
        "mode": PREPAYMENT, "balance": 0, "ec_in_use": False, "pin": None,
        "time_debt": [0, 0], "time_debt_rate": [0, 0], "payment_debt": 0, "payment_debt_pct": 0,
        "low_credit_threshold": 0, "ec_limit": 0, "ec_threshold": 0, "disablement_threshold": 0,
        "debt_recovery_rate_cap": 0, "suspend_debt_emergency": True, "suspend_debt_disabled": True,
        "non_disablement": [], "special_days": [], "calendar": {"entries": [], "special": []},
        "day": None, "low": False, "exhausted": False, "suspended": False,
    }


def day_of(now_ms):
    return now_ms // DAY_MS


def in_non_disablement(state, now_ms):
    """True when `now_ms` falls in a non-disablement period or on a special day of the calendar."""
    if nd_calendar.in_period(state["calendar"], now_ms):
        return True
    day = day_of(now_ms)
    y, m, d = _civil(day)
    if "%04d-%02d-%02d" % (y, m, d) in state["special_days"]:
        return True
    weekday = (day + 3) % 7
    minute = (now_ms % DAY_MS) // 60000
    for period in state["non_disablement"]:
        if weekday in period["days"] and period["start"] <= minute < period["end"]:
            return True
    return False


class Account:
    """The credit rules over a state dict (see defaults()); the caller persists the dict."""

    def __init__(self, state):
        self.s = state

    # ------------------------------------------------------------------ derived values
    def prepayment(self):
        return self.s["mode"] == PREPAYMENT

    def ec_remaining(self):
        """EC still available to use (0 when EC is not in use)."""
        if not self.s["ec_in_use"]:
            return 0
        return self.s["ec_limit"] + min(self.s["balance"], 0)

    def combined(self):
        return self.s["balance"] + self.ec_remaining()

    def ec_available(self):
        """EC may be activated: prepayment mode, not in use, and the meter balance below the EC threshold."""
        return self.prepayment() and not self.s["ec_in_use"] and self.s["balance"] < self.s["ec_threshold"]

    def accumulated_debt(self):
        return self.s["time_debt"][0] + self.s["time_debt"][1] + self.s["payment_debt"]

    def wants_disabled(self):
        """Credit exhausted outside a non-disablement period: the supply must be disabled."""
        return self.s["exhausted"] and not self.s["suspended"]

    # ------------------------------------------------------------------ configuration (SRV 2.1, 2.3, 1.6, 3.5)
    def configure(self, values, now_ms):
        """Set prepayment configuration values (ECS08/GCS05): unknown names raise KeyError."""
        for key in values:
            if key not in CONFIG_KEYS:
                raise KeyError(key)
        for key in values:
            self.s[key] = values[key]
        return self.evaluate(now_ms)

    def set_calendar(self, calendar, now_ms):
        """Set the non-disablement calendar ({"entries"} and/or {"special"}, firmware.nd_calendar) (ECS08)."""
        self.s["calendar"].update(calendar)
        return self.evaluate(now_ms)

    def set_debt(self, now_ms, time_debt=None, time_debt_rate=None, payment_debt=None, payment_debt_pct=None):
        """Set the debt registers (ECS07/GCS04); None leaves a value unchanged."""
        if time_debt is not None:
            self.s["time_debt"] = list(time_debt)
        if time_debt_rate is not None:
            self.s["time_debt_rate"] = list(time_debt_rate)
        if payment_debt is not None:
            self.s["payment_debt"] = payment_debt
        if payment_debt_pct is not None:
            self.s["payment_debt_pct"] = payment_debt_pct
        return self.evaluate(now_ms)

    def set_mode(self, mode, now_ms):
        """Switch payment mode (ECS02/ECS03, GCS02/GCS03): balance and debt are kept."""
        if mode not in MODES:
            raise ValueError("payment mode %r" % (mode,))
        self.s["mode"] = mode
        if mode == CREDIT:
            self.s["ec_in_use"] = False
        return self.evaluate(now_ms)

    def adjust_balance(self, delta, now_ms):
        """Meter balance adjustment (ECS04a, GCS40a/GCS40c)."""
        self.s["balance"] += delta
        return self.evaluate(now_ms)

    def reset_balance(self, now_ms):
        """Meter balance reset (ECS04b, GCS40b/GCS40d): balance 0, EC ended."""
        self.s["balance"] = 0
        self.s["ec_in_use"] = False
        return self.evaluate(now_ms)

    def set_pin(self, pin):
        """The consumer's 4-digit Privacy PIN, or None to disable it (ECS14/GCS11)."""
        if pin is not None and (len(pin) != 4 or not pin.isdigit()):
            raise ValueError("a Privacy PIN is 4 digits")
        self.s["pin"] = pin

    # ------------------------------------------------------------------ consumer and supplier actions
    def activate_ec(self, now_ms, local=True, pin=None):
        """Activate EC: locally (meter UI or PPMID; the Privacy PIN when one is set) or remotely (ECS09/GCS06).
        Raises CreditRefused; returns the alerts (0x8119)."""
        if not self.prepayment():
            raise CreditRefused(CREDIT_MODE)
        if self.s["ec_in_use"]:
            raise CreditRefused(EC_IN_USE)
        if not self.ec_available():
            raise CreditRefused(EC_NOT_AVAILABLE)
        if local and self.s["pin"] is not None and pin != self.s["pin"]:
            raise CreditRefused(PIN_REQUIRED)
        self.s["ec_in_use"] = True
        return [EC_ACTIVATED] + self.evaluate(now_ms)

    def top_up(self, amount, now_ms, local=False):
        """Credit a validated top-up: payment-based debt first, then the balance (which repays EC in use).
        Returns (credited, taken for debt, alerts); a local top-up raises 0x810E."""
        debt = min(self.s["payment_debt"], amount * self.s["payment_debt_pct"] // 100)
        self.s["payment_debt"] -= debt
        self.s["balance"] += amount - debt
        if self.s["ec_in_use"] and self.s["balance"] >= 0:
            self.s["ec_in_use"] = False
        alerts = [CREDIT_ADDED_LOCALLY] if local else []
        return amount - debt, debt, alerts + self.evaluate(now_ms)

    def consume(self, pennies, now_ms):
        """Charge energy used (pennies) against the balance."""
        self.s["balance"] -= pennies
        return self.evaluate(now_ms)

    def tick(self, now_ms):
        """Time passed: collect time-based debt for each midnight crossed, then re-check thresholds."""
        today = day_of(now_ms)
        if self.s["day"] is None:
            self.s["day"] = today
        while self.s["day"] < today:
            self.s["day"] += 1
            self._collect_time_debt()
        return self.evaluate(now_ms)

    def _collect_time_debt(self):
        if not self.prepayment():
            return
        if self.s["ec_in_use"] and self.s["suspend_debt_emergency"]:
            return
        if self.s["exhausted"] and self.s["suspend_debt_disabled"]:
            return
        cap = self.s["debt_recovery_rate_cap"]
        left = cap if cap > 0 else -1
        for i in (0, 1):
            take = min(self.s["time_debt_rate"][i], self.s["time_debt"][i])
            if left >= 0:
                take = min(take, left)
                left -= take
            self.s["time_debt"][i] -= take
            self.s["balance"] -= take

    # ------------------------------------------------------------------ thresholds
    def evaluate(self, now_ms):
        """Re-check the thresholds; alerts on each crossing: 0x810D low credit, 0x8F0F disablement, 0x8F83
        disablement suspended by the non-disablement calendar."""
        alerts = []
        combined = self.combined()
        low = self.prepayment() and combined < self.s["low_credit_threshold"]
        if low and not self.s["low"]:
            alerts.append(LOW_CREDIT)
        self.s["low"] = low
        exhausted = self.prepayment() and combined < self.s["disablement_threshold"]
        suspended = exhausted and in_non_disablement(self.s, now_ms)
        if exhausted and suspended and not self.s["suspended"]:
            alerts.append(DISABLEMENT_SUSPENDED)
        if exhausted and not suspended and (not self.s["exhausted"] or self.s["suspended"]):
            alerts.append(DISABLEMENT)
        self.s["exhausted"] = exhausted
        self.s["suspended"] = suspended
        return alerts

    def snapshot(self):
        """What the meter shows of its credit (and `credit.get` reports)."""
        return {"mode": self.s["mode"], "balance": self.s["balance"], "ec_in_use": self.s["ec_in_use"],
                "ec_remaining": self.ec_remaining(), "ec_available": self.ec_available(),
                "combined": self.combined(), "low": self.s["low"], "exhausted": self.s["exhausted"],
                "suspended": self.s["suspended"], "time_debt": list(self.s["time_debt"]),
                "payment_debt": self.s["payment_debt"], "accumulated_debt": self.accumulated_debt(),
                "pin_set": self.s["pin"] is not None}
