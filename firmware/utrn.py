"""Meter-side UTRN validation (gbcs.md 3.1-3.3, GBCS section 14).

Order: 20 ASCII digits -> GBCS Verhoeff check digit -> PPTD >= base -> lead/subclass zero (so PTUT < 2^57) -> value class ->
counter reconstruction -> GMAC (supplier prepayment KA public x meter KA private; low 32 bits of the
16-byte tag) -> UTRN counter cache (anti-replay) -> maximum credit per top-up -> credit limit.
Each rejection raises UtrnRejected with one of REASONS.
"""
from .crypto import gcm, kdf, p256
from .crypto.compare import equal

PPTD_BASE = 0x669D529B714A0000
CACHE_SIZE = 100
PENNIES = 0
POUNDS = 1

MALFORMED = "malformed"
CHECK_DIGIT = "check_digit"
OUT_OF_RANGE = "pptd_out_of_range"
BAD_LEAD = "lead_or_subclass_not_zero"
BAD_CLASS = "value_class"
MAC_INVALID = "mac_invalid"
REPLAY = "counter_replayed"
MAX_TOPUP = "exceeds_max_credit_per_topup"
CREDIT_LIMIT = "exceeds_credit_limit"
REASONS = (MALFORMED, CHECK_DIGIT, OUT_OF_RANGE, BAD_LEAD, BAD_CLASS, MAC_INVALID, REPLAY, MAX_TOPUP, CREDIT_LIMIT)

_P = ("0123456789", "1576283094", "5803796142", "8916043527",
      "9453126870", "4286573901", "2793806415", "7046913258")
_D = ("0123456789", "1234067895", "2340178956", "3401289567", "4012395678",
      "5987604321", "6598710432", "7659821043", "8765932104", "9876543210")
_INV = (1, 2, 6, 7, 5, 8, 3, 0, 9, 4)


class UtrnRejected(Exception):
    """A UTRN was refused; ``reason`` is one of REASONS."""

    def __init__(self, reason, detail=""):
        self.reason = reason
        self.detail = detail
        super().__init__(reason + (": " + detail if detail else ""))


def check_digit(digits):
    """The GBCS-modified Verhoeff check digit of a string of decimal digits (GBCS 14.8)."""
    k = 4
    acc = 0
    for ch in digits:
        d = ord(ch) - 48
        if d < 0 or d > 9:
            raise UtrnRejected(MALFORMED, "non-digit in UTRN")
        lv = ord(_P[k][d]) - 48
        k = (k + 1) % 8
        acc = ord(_D[acc][lv]) - 48
    return _INV[acc]


class Token:
    """The fields of a decoded UTRN: 10-bit counter, value class, value, PTUT high word and MAC low word."""

    def __init__(self, ptut):
        self.high = ptut >> 32
        self.mac_low = ptut & 0xFFFFFFFF
        self.lead = self.high >> 25
        self.counter10 = (self.high >> 15) & 0x3FF
        self.value_class = (self.high >> 13) & 0x3
        self.value = self.high & 0x1FFF

    def pennies(self):
        return self.value * 100 if self.value_class == POUNDS else self.value


def decode(utrn):
    """Check format, check digit, range, lead/subclass and value class; the Token, else UtrnRejected."""
    if isinstance(utrn, (bytes, bytearray)):
        try:
            utrn = bytes(utrn).decode()
        except UnicodeError:
            raise UtrnRejected(MALFORMED, "not ASCII")
    if not isinstance(utrn, str) or len(utrn) != 20:
        raise UtrnRejected(MALFORMED, "a UTRN is 20 decimal digits")
    for ch in utrn:
        if ch < "0" or ch > "9":
            raise UtrnRejected(MALFORMED, "non-digit in UTRN")
    if check_digit(utrn[:19]) != ord(utrn[19]) - 48:
        raise UtrnRejected(CHECK_DIGIT)
    ptut = int(utrn[:19]) - PPTD_BASE
    if ptut < 0:
        raise UtrnRejected(OUT_OF_RANGE, "PPTD below the base")
    tok = Token(ptut)
    if tok.lead != 0:
        raise UtrnRejected(BAD_LEAD)
    if tok.value_class not in (PENNIES, POUNDS):
        raise UtrnRejected(BAD_CLASS, "%d" % tok.value_class)
    return tok


def ptut_tag(z, supplier, meter, counter, high):
    """The 16-byte GMAC tag over a PTUT (its low 32 bits are the tag's last 4 bytes)."""
    ctr = counter.to_bytes(8, "big")
    key = kdf.derive_key(z, supplier, kdf.CRA_COMMAND, ctr, meter)
    aad = (b"\x11\x00\x00\x00\x00\x00" + bytes(supplier) + bytes(meter) + b"\x01" + ctr
           + high.to_bytes(4, "big"))
    return gcm.gmac(key, bytes(supplier) + b"\x00\x00\x00\x00", aad, 16)


class Meter:
    """UTRN acceptance state of one meter.

    ``ka_private``: meter KA private (32 bytes); ``supplier_pp_public``: supplier prepayment KA public (65);
    credit amounts are in pennies.
    """

    def __init__(self, eui, ka_private, supplier, supplier_pp_public, max_topup, credit_limit,
                 cache_size=CACHE_SIZE):
        self.eui = bytes(eui)
        self.supplier = bytes(supplier)
        self._z = p256.ecdh(ka_private, supplier_pp_public)
        self.max_topup = max_topup
        self.credit_limit = credit_limit
        self.cache_size = cache_size
        self.cache = []
        self.last_counter = None

    def counter_of(self, tok):
        """The full 64-bit counter: ctr10 << 32, high bits from the last accepted counter, moving on one
        10-bit wrap when the token is more than half the 10-bit range behind it [I]."""
        full = tok.counter10 << 32
        if self.last_counter is not None:
            full |= (self.last_counter >> 42) << 42
            if full + (512 << 32) <= self.last_counter:
                full += 1 << 42
        return full

    def _replayed(self, counter):
        if counter in self.cache:
            return True
        return len(self.cache) >= self.cache_size and counter <= min(self.cache)

    def accept(self, utrn, credit_balance, check_mac=True):
        """Validate ``utrn`` against a credit balance (pennies); the Token, with the counter cached.
        ``check_mac`` is False only for an emulator playing a defective meter."""
        tok = decode(utrn)
        counter = self.counter_of(tok)
        tag = ptut_tag(self._z, self.supplier, self.eui, counter, tok.high)
        if check_mac and not equal(tag[12:], tok.mac_low.to_bytes(4, "big")):
            raise UtrnRejected(MAC_INVALID)
        if self._replayed(counter):
            raise UtrnRejected(REPLAY, "counter 0x%X" % counter)
        amount = tok.pennies()
        if amount > self.max_topup:
            raise UtrnRejected(MAX_TOPUP, "%d > %d" % (amount, self.max_topup))
        if credit_balance + amount > self.credit_limit:
            raise UtrnRejected(CREDIT_LIMIT, "%d + %d > %d" % (credit_balance, amount, self.credit_limit))
        self.cache.append(counter)
        if len(self.cache) > self.cache_size:
            self.cache.pop(0)
        if self.last_counter is None or counter > self.last_counter:
            self.last_counter = counter
        tok.counter = counter
        return tok
