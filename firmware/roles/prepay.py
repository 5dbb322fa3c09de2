# Prepayment on a meter: the credit account (firmware.credit) behind the supply (roles.supply), and UTRN top-up
# checked with the board's own crypto (firmware.utrn) whichever way the UTRN comes: the meter's keypad
# (BAD 7.3.2.5.5), a PPMID on the HAN, or the DCC (CS01a/CS01b).
#
# Keypad: digits collect on the display, "*" clears, "#" submits a 20-digit UTRN, "A" selects emergency credit (the
# digits typed before it are the Privacy PIN), "B" enables an armed supply, "D" sets the consumer's Privacy PIN: 4
# digits when none is set, else the old PIN then the new one [I: a meter's PIN menu stood in for by one key].
# Configuration (/config.json): "utrn": supplier (EUI hex), supplier_pp (its prepayment KA public key, hex),
# max_topup and credit_limit (pennies); "prepayment": factory values of the credit state (firmware.credit);
# "price_p_per_kwh": the flat price standing in for the tariff.
# Board link: credit.get (what the display shows); zse.top_up {"from", "utrn"} and zse.select_ec {"from"}, which
# the host half calls for a PPMID's ZSE Consumer Top Up / Select Available Emergency Credit; a sender not in the
# meter's device log (CS03 joins) gets {"processed": false} and nothing else happens.
# GBCS (firmware.prepay_gbcs): CS01a/CS01b, ECS08 (its calendar), ECS09/GCS06, ECS42/ECS43, PCS01/PCS02 are handled; a local top-up is
# answered to the supplier with the CS01a/CS01b response, and device alerts go as Generic Alerts. Further
# handlers (SRV 1.6, 2.1, 2.3, 1.5, 3.5) would call set_payment_mode, configure_prepayment, set_debt,
# adjust_balance, reset_balance, set_privacy_pin.
# The balance, debt, thresholds and the UTRN counter cache persist on flash.
# [I] Emergency credit selected on a PPMID (ZSE Select Available Emergency Credit to an ESME, PCS02 to a GSME) is a
# local activation (BAD 7.3.2: "consumer via meter UI or PPMID (needs Privacy PIN if set)"); neither command has a
# field for a PIN (ZSE 1.4 D.7.2.3.1: issue time, originating device), so while a Privacy PIN is set the meter
# refuses EC selected on a PPMID, and the consumer enters the PIN on the meter's own UI.
import binascii

from firmware import credit
from firmware.credit import CreditRefused
from firmware.link import MethodError, param
from firmware.roles.supply import BUTTONS, SupplyRole

DEFAULT_PRICE_P_PER_KWH = 30
W_MS_PER_KWH = 3600000000

# ZSE Prepayment cluster Consumer Top Up Response result types (SE 1.4 D.7.2.4.3).
ZSE_ACCEPTED = 0x00
ZSE_INVALID = 0x01
ZSE_DUPLICATE = 0x02
ZSE_MAX_CREDIT = 0x04
ZSE_TOO_LARGE = 0x06
SOURCES = ("keypad", "ppmid", "remote")


def pounds(pennies):
    sign = "-" if pennies < 0 else ""
    pennies = abs(pennies)
    return "%s%d.%02d" % (sign, pennies // 100, pennies % 100)


def counter_of(meter, entry):
    """The full counter of a UTRN (None when it does not decode)."""
    from firmware.utrn import UtrnRejected, decode

    try:
        return meter.counter_of(decode(entry))
    except UtrnRejected:
        return None


def zse_result(reason):
    """The ZSE result type for a UTRN rejection reason (None: accepted)."""
    from firmware import utrn

    if reason is None:
        return ZSE_ACCEPTED
    if reason == utrn.REPLAY:
        return ZSE_DUPLICATE
    if reason == utrn.MAX_TOPUP:
        return ZSE_TOO_LARGE
    if reason == utrn.CREDIT_LIMIT:
        return ZSE_MAX_CREDIT
    return ZSE_INVALID


class PrepayMeter(SupplyRole):
    """A meter with a supply switch and prepayment credit."""

    def defaults(self):
        state = SupplyRole.defaults(self)
        account = credit.defaults()
        account.update(self.hal.config.get("prepayment") or {})
        state.update({"credit": account, "utrn_cache": [], "utrn_last": None, "energy_acc": 0,
                      "charged_to": None, "used_wms": 0})
        return state

    def setup(self):
        SupplyRole.setup(self)
        fresh = credit.defaults()
        for key in fresh:
            if key not in self.state["credit"]:
                self.state["credit"][key] = fresh[key]
        self.account = credit.Account(self.state["credit"])

    def methods(self):
        out = SupplyRole.methods(self)
        out.update({"credit.get": self.credit_get, "zse.top_up": self.zse_top_up, "zse.select_ec": self.zse_select_ec})
        return out

    def handlers(self):
        from firmware import prepay_gbcs  # loaded on the first command: a board's heap is small

        out = SupplyRole.handlers(self)
        out.update(prepay_gbcs.handlers(self))
        return out

    def supplier(self):
        """The supplier's EUI (bytes) when this meter can talk GBCS to it (its KA key is known), else None."""
        cfg = self.hal.config.get("utrn")
        if self.gbcs is None or not isinstance(cfg, dict):
            return None
        eui = binascii.unhexlify(cfg["supplier"])
        party = self.gbcs.parties.get(eui)
        return eui if party is not None and party.ka is not None else None

    def send_device_alert(self, code):
        if code == credit.LOW_CREDIT and self.defect("no_low_credit_alert"):
            return
        if self.supplier() is not None:
            from firmware import prepay_gbcs

            prepay_gbcs.send_device_alert(self, self.supplier(), code)

    def credit_get(self, params):
        return self.account.snapshot()

    def idle_text(self):
        text = "%s CREDIT %s" % (SupplyRole.idle_text(self), pounds(self.account.s["balance"]))
        if self.account.s["ec_in_use"]:
            text += " EC " + pounds(self.account.ec_remaining())
        elif self.account.ec_available():
            text += " EC AVAILABLE"
        if self.account.s["low"]:
            text += " LOW"
        if not self.account.prepayment():
            text += " CREDIT MODE"
        return text

    # ------------------------------------------------------------------ credit and supply together
    def reconcile(self):
        """The supply follows the credit: disabled when it is exhausted, armed again when it is restored."""
        if self.account.wants_disabled():
            return self.supply.credit_exhausted()
        return self.supply.credit_restored()

    def credit_apply(self, fn):
        """Run a credit rule; its alerts and the supply's are raised and the state saved."""
        alerts = fn()
        self.settle(alerts + self.reconcile())
        return alerts

    def charge(self, now_ms):
        """Charge the energy used since the last charge at the present load and the flat price [I]."""
        last = self.state["charged_to"]
        self.state["charged_to"] = now_ms
        if last is None or now_ms <= last:
            return []
        price = self.hal.config.get("price_p_per_kwh", DEFAULT_PRICE_P_PER_KWH)
        if not self.supply.on():
            return []
        self.state["used_wms"] += self.supply.s["load_w"] * (now_ms - last)
        acc = self.state["energy_acc"] + self.supply.s["load_w"] * (now_ms - last) * price
        pennies, self.state["energy_acc"] = divmod(acc, W_MS_PER_KWH)
        return self.account.consume(pennies, now_ms) if pennies else []

    def on_time(self, now_ms):
        alerts = self.charge(now_ms) + self.account.tick(now_ms) + self.supply.tick(now_ms)
        self.settle(alerts + self.reconcile())

    # ------------------------------------------------------------------ remote (GBCS handlers call these)
    def remote_top_up(self, utrn_text):
        """CS01a/CS01b: the same UTRN checks as a local entry; no 0x810E."""
        return self.top_up(utrn_text, "remote")

    def remote_ec(self):
        """ECS09/GCS06: activate EC; no Privacy PIN is needed. Raises CreditRefused."""
        pinned = self.defect("remote_ec_needs_pin")  # the defect treats it as a local activation
        return self.credit_apply(lambda: self.account.activate_ec(self.now(), local=pinned))

    def set_payment_mode(self, mode):
        if self.defect("payment_mode_drops_balance"):
            self.account.s["balance"] = 0
        return self.credit_apply(lambda: self.account.set_mode(mode, self.now()))

    def configure_prepayment(self, values):
        return self.credit_apply(lambda: self.account.configure(values, self.now()))

    def set_calendar(self, calendar):
        """The non-disablement calendar from SRV 2.1 (ECS08)."""
        if self.defect("non_disablement_ignored"):
            return []
        return self.credit_apply(lambda: self.account.set_calendar(calendar, self.now()))

    def set_debt(self, **registers):
        return self.credit_apply(lambda: self.account.set_debt(self.now(), **registers))

    def adjust_balance(self, delta):
        return self.credit_apply(lambda: self.account.adjust_balance(delta, self.now()))

    def reset_balance(self):
        return self.credit_apply(lambda: self.account.reset_balance(self.now()))

    def set_privacy_pin(self, pin):
        self.account.set_pin(pin)
        self.save()

    # ------------------------------------------------------------------ the consumer
    def on_key(self, key):
        if key == "#":
            entry, self.entry = self.entry, ""
            self.top_up(entry, "keypad")
        elif key == BUTTONS["emergency"]:
            pin, self.entry = self.entry, ""
            self.select_ec(pin or None)
        elif key == "D":
            entry, self.entry = self.entry, ""
            self.change_pin(entry)
        else:
            SupplyRole.on_key(self, key)

    def change_pin(self, entry):
        """The consumer sets the Privacy PIN (the old one first when one is set); the display says what happened."""
        old = self.account.s["pin"]
        if old is not None and entry[:4] != old:
            self.hal.display.show("PIN NOT CHANGED")
            return False
        try:
            self.set_privacy_pin(entry[4:] if old is not None else entry)
        except ValueError:
            self.hal.display.show("PIN NOT CHANGED")
            return False
        self.hal.display.show("PIN SET")
        return True

    def select_ec(self, pin):
        """Local EC selection (meter UI or PPMID): the display and an `ec` event say what happened."""
        if self.defect("ec_ignores_privacy_pin"):
            pin = self.account.s["pin"]
        try:
            self.credit_apply(lambda: self.account.activate_ec(self.now(), local=True, pin=pin))
        except CreditRefused as e:
            self.hal.display.show("EC REFUSED " + e.reason)
            self.hal.emit("ec", {"accepted": False, "reason": e.reason})
            return False
        self.hal.display.show("EC ACTIVE " + pounds(self.account.ec_remaining()))
        self.hal.emit("ec", {"accepted": True, "ec_remaining": self.account.ec_remaining()})
        return True

    # ------------------------------------------------------------------ the HAN (a PPMID)
    def han_allowed(self, eui):
        """`eui` (hex) is in this meter's device log."""
        return self.defect("han_device_log_unchecked") or self.find(eui.upper()) is not None

    def zse_top_up(self, params):
        sender = param(params, "from", str)
        text = param(params, "utrn", str)
        if not self.han_allowed(sender):
            return {"processed": False}
        result = self.top_up(text, "ppmid")
        return {"processed": True, "result": zse_result(result["reason"]), "value": result.get("amount", 0),
                "credit_remaining": self.account.combined()}

    def zse_select_ec(self, params):
        sender = param(params, "from", str)
        if not self.han_allowed(sender):
            return {"processed": False}
        return {"processed": True, "accepted": self.ppmid_ec()}

    def ppmid_ec(self):
        """EC selected on a PPMID in the Device Log (ZSE or PCS02): a local activation with no PIN entered."""
        if self.defect("ppmid_ec_ignored"):
            return False
        return self.select_ec(None)

    # ------------------------------------------------------------------ UTRN
    def meter(self, source):
        from firmware import utrn  # loaded on the first top-up only: P-256 code costs heap on a small board

        cfg = self.hal.config.get("utrn")
        if not isinstance(cfg, dict):
            raise MethodError("unconfigured", "no UTRN configuration in /config.json")
        gbcs = self.hal.config.get("gbcs") or {}
        unlimited = self.defect("utrn_ignore_limits")
        meter = utrn.Meter(binascii.unhexlify(gbcs["eui"]), binascii.unhexlify(gbcs["ka_private"]),
                           binascii.unhexlify(cfg["supplier"]), binascii.unhexlify(cfg["supplier_pp"]),
                           1 << 40 if unlimited else cfg["max_topup"], 1 << 40 if unlimited else cfg["credit_limit"])
        if not (self.defect("utrn_no_replay_check")
                or (source == "remote" and self.defect("remote_utrn_no_replay_check"))):
            meter.cache = list(self.state["utrn_cache"])
            meter.last_counter = self.state["utrn_last"]
        return meter

    def top_up(self, entry, source):
        """Apply a UTRN from `source` (one of SOURCES): credit on success, the display says what happened either way.
        Returns {"accepted", "reason", "amount", "balance", "counter"}; a `topup` event carries the same."""
        from firmware.utrn import UtrnRejected, check_digit

        meter = self.meter(source)
        if self.defect("utrn_skip_check_digit") and len(entry) == 20 and entry.isdigit():
            entry = entry[:19] + str(check_digit(entry[:19]))
        try:
            tok = meter.accept(entry, self.account.s["balance"], check_mac=not self.defect("utrn_accept_bad_mac"))
        except UtrnRejected as e:
            self.hal.display.show("UTRN REJECTED " + e.reason)
            result = {"accepted": False, "reason": e.reason, "source": source, "counter": counter_of(meter, entry)}
            return self.top_up_done(result)
        amount = tok.value if self.defect("utrn_value_class_ignored") else tok.pennies()
        self.state["utrn_cache"] = meter.cache
        self.state["utrn_last"] = meter.last_counter
        local = source != "remote"
        self.credit_apply(lambda: self.top_up_alerts(self.account.top_up(amount, self.now(), local=local)[2]))
        self.hal.display.show("CREDIT +%s BAL %s" % (pounds(amount), pounds(self.account.s["balance"])))
        result = {"accepted": True, "reason": None, "amount": amount, "balance": self.account.s["balance"],
                  "counter": tok.counter, "source": source}
        return self.top_up_done(result)

    def top_up_alerts(self, alerts):
        if self.defect("no_credit_added_alert"):
            return [a for a in alerts if a != credit.CREDIT_ADDED_LOCALLY]
        return alerts

    def top_up_done(self, result):
        """A `topup` event; a local top-up is also answered to the supplier (CS01a/CS01b response)."""
        self.hal.emit("topup", result)
        if result["source"] != "remote" and self.supplier() is not None \
                and not self.defect("no_local_top_up_response"):
            from firmware import prepay_gbcs

            prepay_gbcs.send_local_top_up_response(self, self.supplier(), result)
        return result
