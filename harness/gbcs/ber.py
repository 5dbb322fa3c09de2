"""BER definite lengths and a bounds-checked byte reader that raises typed errors."""
from __future__ import annotations

from harness.gbcs.errors import GbcsError

MAX_LENGTH_OCTETS = 3


def encode_length(n: int) -> bytes:
    """Minimal BER definite length for ``n``."""
    if n < 0:
        raise ValueError("length must not be negative")
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(body) > MAX_LENGTH_OCTETS:
        raise ValueError(f"length {n} needs more than {MAX_LENGTH_OCTETS} octets")
    return bytes([0x80 | len(body)]) + body


class Reader:
    """Reads fields from ``data``; every overrun raises ``error`` naming the field and offset."""

    def __init__(self, data: bytes, base: int = 0, error: type[GbcsError] = GbcsError):
        self.data = bytes(data)
        self.pos = 0
        self.base = base
        self.error = error

    @property
    def offset(self) -> int:
        """Absolute offset of the next byte (``base`` + position)."""
        return self.base + self.pos

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def fail(self, field: str, message: str, offset: int | None = None) -> GbcsError:
        """An error of this reader's type at ``offset`` (default: the current offset)."""
        return self.error(message, field=field, offset=self.offset if offset is None else offset)

    def take(self, n: int, field: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail(field, f"needs {n} bytes, {self.remaining()} left")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self, field: str) -> int:
        return self.take(1, field)[0]

    def uint(self, n: int, field: str) -> int:
        return int.from_bytes(self.take(n, field), "big")

    def peek(self, field: str) -> int:
        if self.at_end():
            raise self.fail(field, "needs 1 byte, none left")
        return self.data[self.pos]

    def length(self, field: str) -> int:
        """A minimal BER definite length (short form or up to three long-form octets)."""
        start = self.offset
        value, raw = self.length_raw(field)
        if encode_length(value) != raw:
            raise self.fail(field, "non-minimal BER length", start)
        return value

    def length_raw(self, field: str) -> tuple[int, bytes]:
        """A BER definite length, minimal or not, with its raw encoding (for lossless re-encoding)."""
        start = self.pos
        first = self.u8(field)
        if first >= 0x80:
            count = first & 0x7F
            if count == 0 or count > MAX_LENGTH_OCTETS:
                raise self.fail(field, f"unsupported BER length form 0x{first:02X}", self.offset - 1)
            value = self.uint(count, field)
        else:
            value = first
        return value, self.data[start:self.pos]

    def lv(self, field: str) -> bytes:
        """A BER length followed by that many bytes."""
        return self.take(self.length(field), field)

    def rest(self) -> bytes:
        out = self.data[self.pos:]
        self.pos = len(self.data)
        return out

    def expect_end(self, field: str) -> None:
        if not self.at_end():
            raise self.fail(field, f"{self.remaining()} unexpected trailing bytes")
