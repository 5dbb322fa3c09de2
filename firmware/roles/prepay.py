# Prepayment on a meter: credit balance and UTRN top-up entered on the meter's keypad (BAD 7.3.2.5.5), checked with
# the board's own crypto (firmware.utrn). Keys: digits collect on the display, "*" clears, "#" submits a 20-digit
# UTRN. Configuration (/config.json "utrn"): supplier (EUI hex), supplier_pp (its prepayment KA public key, hex),
# max_topup and credit_limit (pennies). The balance and the UTRN counter cache persist on flash.
import binascii

from firmware.link import MethodError
from firmware.roles.supply import SupplyRole


def pounds(pennies):
    return "%d.%02d" % (pennies // 100, pennies % 100)


class PrepayMeter(SupplyRole):
    """A meter with a supply switch and prepayment credit."""

    def defaults(self):
        state = SupplyRole.defaults(self)
        state.update({"balance": 0, "utrn_cache": [], "utrn_last": None})
        return state

    def methods(self):
        out = SupplyRole.methods(self)
        out["credit.get"] = self.credit_get
        return out

    def credit_get(self, params):
        return {"balance": self.state["balance"]}

    def idle_text(self):
        return "%s CREDIT %s" % (SupplyRole.idle_text(self), pounds(self.state["balance"]))

    def defect(self, name):
        return name in (self.hal.config.get("defects") or ())

    def meter(self):
        from firmware import utrn  # loaded on the first top-up only: P-256 code costs heap on a small board

        cfg = self.hal.config.get("utrn")
        if not isinstance(cfg, dict):
            raise MethodError("unconfigured", "no UTRN configuration in /config.json")
        gbcs = self.hal.config.get("gbcs") or {}
        unlimited = self.defect("utrn_ignore_limits")
        meter = utrn.Meter(binascii.unhexlify(gbcs["eui"]), binascii.unhexlify(gbcs["ka_private"]),
                           binascii.unhexlify(cfg["supplier"]), binascii.unhexlify(cfg["supplier_pp"]),
                           1 << 40 if unlimited else cfg["max_topup"], 1 << 40 if unlimited else cfg["credit_limit"])
        if not self.defect("utrn_no_replay_check"):
            meter.cache = list(self.state["utrn_cache"])
            meter.last_counter = self.state["utrn_last"]
        return meter

    def on_key(self, key):
        if key != "#":
            SupplyRole.on_key(self, key)
            return
        entry, self.entry = self.entry, ""
        self.top_up(entry)

    def top_up(self, entry):
        """Apply a UTRN entered on the keypad: credit on success; the display says what happened either way."""
        from firmware.utrn import UtrnRejected, check_digit

        meter = self.meter()
        if self.defect("utrn_skip_check_digit") and len(entry) == 20 and entry.isdigit():
            entry = entry[:19] + str(check_digit(entry[:19]))
        try:
            tok = meter.accept(entry, self.state["balance"], check_mac=not self.defect("utrn_accept_bad_mac"))
        except UtrnRejected as e:
            self.hal.display.show("UTRN REJECTED " + e.reason)
            self.hal.emit("topup", {"accepted": False, "reason": e.reason})
            return
        amount = tok.value if self.defect("utrn_value_class_ignored") else tok.pennies()
        self.state["balance"] += amount
        self.state["utrn_cache"] = meter.cache
        self.state["utrn_last"] = meter.last_counter
        self.save()
        self.hal.display.show("CREDIT +%s BAL %s" % (pounds(amount), pounds(self.state["balance"])))
        self.hal.emit("topup", {"accepted": True, "amount": amount, "balance": self.state["balance"]})
