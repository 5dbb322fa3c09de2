"""UTRN (Unique Transaction Reference Number, GBCS section 14): supplier-side generation and meter-side checks.

A UTRN is 20 decimal digits: PPTD (19 digits) followed by a GBCS-Verhoeff check digit. PPTD = PTUT + PPTD_BASE.
The PTUT high word is 7 zero bits | 10-bit counter (bits 32..41 of the 64-bit counter) | 2-bit value class |
13-bit value; the low word is the last 4 bytes of a 16-byte GMAC keyed from the supplier prepayment KA key x the
meter KA key. ``z`` below is that ECDH shared secret (the same on both sides).
"""
from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from harness.errors import InputError
from harness.gbcs.crypto import constant_time_equal, ecdh_z, gcm_encrypt, iv_for, kdf
from harness.gbcs.keystore import KeyStore

PPTD_BASE = 7394156990786306048  # 0x669D529B714A0000
MAX_VALUE = 8191

# GBCS 14.8 Verhoeff tables: dihedral multiplication D, permutation P, and the GBCS inverse (not Wikipedia's)
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [[int(c) for c in row] for row in ("0123456789", "1576283094", "5803796142", "8916043527",
                                        "9453126870", "4286573901", "2793806415", "7046913258")]
_INV = [1, 2, 6, 7, 5, 8, 3, 0, 9, 4]


class ValueClass(enum.IntEnum):
    """Unit of a UTRN's value."""

    PENNIES = 0
    POUNDS = 1


class Rejection(enum.Enum):
    """Why a meter refuses a UTRN."""

    MALFORMED = "malformed"
    BAD_CHECK_DIGIT = "bad check digit"
    OUT_OF_RANGE = "PTUT out of range"
    BAD_VALUE_CLASS = "bad value class"
    BAD_MAC = "bad MAC"
    REPLAYED = "replayed counter"
    TOO_OLD = "counter below the cache window"
    EXCEEDS_MAX_TOP_UP = "exceeds maximum credit per top-up"
    EXCEEDS_CREDIT_LIMIT = "exceeds maximum credit limit"


class UtrnError(InputError):
    """A UTRN that cannot be decoded; ``reason`` says why."""

    def __init__(self, reason: Rejection, message: str):
        self.reason = reason
        super().__init__(message, field="utrn")


@dataclass(frozen=True)
class Utrn:
    """A decoded or generated UTRN. ``counter`` is the full 64-bit counter when known (else ctr10 << 32)."""

    text: str
    counter: int
    value: int
    value_class: ValueClass
    mac_low: int

    @property
    def ctr10(self) -> int:
        """The 10-bit PTUT counter (bits 32..41 of the counter)."""
        return (self.counter >> 32) & 0x3FF

    @property
    def pennies(self) -> int:
        """The credit the UTRN adds, in pennies."""
        return self.value * (100 if self.value_class is ValueClass.POUNDS else 1)


def check_digit(digits: str) -> int:
    """The GBCS (modified Verhoeff) check digit of a decimal string."""
    acc, k = 0, 4
    for ch in digits:
        acc = _D[acc][_P[k][int(ch)]]
        k = (k + 1) % 8
    return _INV[acc]


def _eui(value: bytes, field: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != 8:
        raise InputError("an EUI-64 is 8 bytes", field=field)
    return value


def _high_word(counter: int, value: int, value_class: ValueClass) -> int:
    return (((counter >> 32) & 0x3FF) << 15) | (int(value_class) << 13) | value


def _mac_low(z: bytes, supplier: bytes, target: bytes, counter: int, high: int) -> int:
    key = kdf(z, supplier, 0x01, counter, target)
    aad = (b"\x11\x00\x00\x00\x00\x00" + supplier + target + b"\x01" + counter.to_bytes(8, "big")
           + high.to_bytes(4, "big"))
    _, tag = gcm_encrypt(key, iv_for(supplier), aad, b"", tag_length=16)
    return int.from_bytes(tag[-4:], "big")


def generate(z: bytes, supplier: bytes, target: bytes, counter: int, value: int,
             value_class: ValueClass = ValueClass.PENNIES) -> Utrn:
    """Make a UTRN. ``z``: ECDH x-coordinate of the supplier prepayment KA key and the meter KA key."""
    _eui(supplier, "supplier")
    _eui(target, "target")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE:
        raise InputError(f"value must be 0..{MAX_VALUE}, got {value!r}", field="value")
    if isinstance(counter, bool) or not isinstance(counter, int) or not 0 <= counter < 1 << 64:
        raise InputError("counter must be a 64-bit unsigned integer", field="counter")
    if counter & 0xFFFFFFFF:
        raise InputError(f"the low 32 bits of a UTRN counter must be zero, got {counter:016X}", field="counter")
    if value_class not in (ValueClass.PENNIES, ValueClass.POUNDS) or isinstance(value_class, bool):
        raise InputError(f"value class must be pennies (0) or pounds (1), got {value_class!r}", field="value_class")
    value_class = ValueClass(value_class)
    high = _high_word(counter, value, value_class)
    low = _mac_low(z, supplier, target, counter, high)
    pptd = str(((high << 32) | low) + PPTD_BASE)
    return Utrn(pptd + str(check_digit(pptd)), counter, value, value_class, low)


def decode(text: str) -> Utrn:
    """Parse a UTRN's digits (no MAC check). Raises UtrnError with the reason."""
    if not isinstance(text, str) or len(text) != 20 or not text.isascii() or not text.isdigit():
        raise UtrnError(Rejection.MALFORMED, f"a UTRN is 20 decimal digits, got {text!r}")
    if check_digit(text[:19]) != int(text[19]):
        raise UtrnError(Rejection.BAD_CHECK_DIGIT, f"check digit {text[19]} is wrong")
    ptut = int(text[:19]) - PPTD_BASE
    if not 0 <= ptut < 1 << 57:
        raise UtrnError(Rejection.OUT_OF_RANGE, "PTUT is outside [0, 2^57): wrong lead or subclass")
    high, low = ptut >> 32, ptut & 0xFFFFFFFF
    cls = (high >> 13) & 0x3
    if cls > 1:
        raise UtrnError(Rejection.BAD_VALUE_CLASS, f"value class {cls} is neither pennies nor pounds")
    return Utrn(text, ((high >> 15) & 0x3FF) << 32, high & 0x1FFF, ValueClass(cls), low)


def mac_matches(utrn: Utrn, z: bytes, supplier: bytes, target: bytes, counter: int) -> bool:
    """Whether the UTRN's MAC is right for the given full 64-bit counter."""
    expected = _mac_low(z, _eui(supplier, "supplier"), _eui(target, "target"), counter,
                        _high_word(counter, utrn.value, utrn.value_class))
    return constant_time_equal(expected.to_bytes(4, "big"), utrn.mac_low.to_bytes(4, "big"))


@dataclass(frozen=True)
class UtrnVerdict:
    """Outcome of a meter-side check: ``reason`` is None when accepted."""

    reason: Rejection | None
    utrn: Utrn | None = None

    @property
    def accepted(self) -> bool:
        return self.reason is None


class UtrnValidator:
    """Meter-side UTRN validation with a UTRN counter cache (anti-replay) and credit limits.

    Counter reconstruction [inference, gbcs.md 3.3]: the counter's bits above 41 come from the last accepted
    counter; when the MAC does not verify in that epoch it is tried in the next one (the 10-bit counter wrapped).
    Once the cache is full a counter at or below the lowest cached value is refused as too old.
    """

    def __init__(self, z: bytes, supplier: bytes, target: bytes, *, cache_size: int = 100,
                 max_top_up: int | None = None, max_credit: int | None = None):
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self._z, self._supplier, self._target = z, _eui(supplier, "supplier"), _eui(target, "target")
        self._cache: deque[int] = deque(maxlen=cache_size)
        self.max_top_up, self.max_credit = max_top_up, max_credit

    @property
    def cached_counters(self) -> list[int]:
        """Accepted counters still in the cache, oldest first."""
        return list(self._cache)

    def _full_counter(self, utrn: Utrn) -> int | None:
        last = max(self._cache) if self._cache else 0
        epoch = (last >> 42) << 42
        for candidate in (epoch | (utrn.ctr10 << 32), (epoch + (1 << 42)) | (utrn.ctr10 << 32)):
            if candidate < 1 << 64 and mac_matches(utrn, self._z, self._supplier, self._target, candidate):
                return candidate
        return None

    def check(self, text: str, balance: int = 0) -> UtrnVerdict:
        """Validate a UTRN against the meter's state (``balance`` in pennies); on success record its counter."""
        try:
            utrn = decode(text)
        except UtrnError as exc:
            return UtrnVerdict(exc.reason)
        counter = self._full_counter(utrn)
        if counter is None:
            return UtrnVerdict(Rejection.BAD_MAC, utrn)
        utrn = Utrn(utrn.text, counter, utrn.value, utrn.value_class, utrn.mac_low)
        if counter in self._cache:
            return UtrnVerdict(Rejection.REPLAYED, utrn)
        if len(self._cache) == self._cache.maxlen and counter <= min(self._cache):
            return UtrnVerdict(Rejection.TOO_OLD, utrn)
        if self.max_top_up is not None and utrn.pennies > self.max_top_up:
            return UtrnVerdict(Rejection.EXCEEDS_MAX_TOP_UP, utrn)
        if self.max_credit is not None and balance + utrn.pennies > self.max_credit:
            return UtrnVerdict(Rejection.EXCEEDS_CREDIT_LIMIT, utrn)
        self._cache.append(counter)
        return UtrnVerdict(None, utrn)


def utrn_secret(keys: KeyStore, supplier: bytes, target: bytes) -> bytes | None:
    """Z for UTRNs: the supplier prepayment KA key x the meter KA key, from whichever side's private key is held."""
    private = keys.private_key(supplier, "ka", prepayment=True)
    public = keys.public_key(target, "ka")
    if private is None or public is None:
        private = keys.private_key(target, "ka")
        public = keys.public_key(supplier, "ka", prepayment=True)
    if private is None or public is None:
        return None
    return ecdh_z(private, public)
