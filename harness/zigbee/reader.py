"""Bounded little-endian reader for untrusted frame bytes: every short read is an `InputError` naming the field."""
from __future__ import annotations

from harness.errors import InputError


class Reader:
    """Reads fields in order from `data`; `base` is added to offsets so nested layers report frame offsets."""

    def __init__(self, data: bytes, layer: str, base: int = 0):
        self.data = bytes(data)
        self.layer = layer
        self.base = base
        self.pos = 0

    def take(self, n: int, field: str) -> bytes:
        if self.pos + n > len(self.data):
            raise InputError(f"{self.layer} frame truncated: need {n} octet(s), {len(self.data) - self.pos} left",
                             field=field, offset=self.base + self.pos)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int, field: str) -> int:
        return int.from_bytes(self.take(n, field), "little")

    def u8(self, field: str) -> int:
        return self.uint(1, field)

    def u16(self, field: str) -> int:
        return self.uint(2, field)

    def u32(self, field: str) -> int:
        return self.uint(4, field)

    def eui64(self, field: str) -> int:
        return self.uint(8, field)

    def rest(self) -> bytes:
        out = self.data[self.pos:]
        self.pos = len(self.data)
        return out

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def offset(self) -> int:
        return self.base + self.pos

    def fail(self, message: str, field: str) -> InputError:
        """An InputError at the current position (raise it)."""
        return InputError(f"{self.layer}: {message}", field=field, offset=self.base + self.pos)

    def end(self, field: str) -> None:
        """Require that nothing is left over."""
        if self.pos != len(self.data):
            raise self.fail(f"{len(self.data) - self.pos} unexpected trailing octet(s)", field)


def u16le(value: int) -> bytes:
    return (value & 0xFFFF).to_bytes(2, "little")


def u32le(value: int) -> bytes:
    return (value & 0xFFFFFFFF).to_bytes(4, "little")


def eui64le(value: int) -> bytes:
    """An EUI-64 (held as an int, e.g. 0x0A0B0C0D0E0F1011) in on-air little-endian order."""
    return value.to_bytes(8, "little")
