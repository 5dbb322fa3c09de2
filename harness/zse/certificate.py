"""ECQV implicit certificates: the 48-octet suite-1 and the 74-octet suite-2 formats.

EUI-64s (subject, issuer) are held as 8 octets big-endian, as stored in the certificate.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from harness.errors import InputError

NO_EXPIRY = 0xFFFFFFFF
TYPE_IMPLICIT = 0x00
CURVE_SECT283K1 = 0x0D
HASH_AES_MMO = 0x08
KEY_USAGE_KEY_AGREEMENT = 0x08
KEY_USAGE_SIGNATURE = 0x80
SE_PROFILE = 0x0109


def _need(value: bytes, n: int, field: str) -> bytes:
    value = bytes(value)
    if len(value) != n:
        raise InputError(f"must be {n} octets, got {len(value)}", field=field)
    return value


@dataclass(frozen=True)
class Suite1Certificate:
    """48 octets: reconstruction point (22) | subject (8) | issuer (8) | profile attribute data (10)."""

    reconstruction: bytes
    subject: bytes
    issuer: bytes
    profile_data: bytes
    suite = 1
    octets = 48

    def __post_init__(self) -> None:
        _need(self.reconstruction, 22, "reconstruction")
        _need(self.subject, 8, "subject")
        _need(self.issuer, 8, "issuer")
        _need(self.profile_data, 10, "profile_data")

    @property
    def profile_id(self) -> int:
        return int.from_bytes(self.profile_data[:2], "big")

    def encode(self) -> bytes:
        return self.reconstruction + self.subject + self.issuer + self.profile_data

    @classmethod
    def decode(cls, data: bytes) -> "Suite1Certificate":
        data = _need(data, 48, "certificate")
        return cls(data[:22], data[22:30], data[30:38], data[38:48])

    def replace(self, **changes) -> "Suite1Certificate":
        return replace(self, **changes)

    def fields(self) -> dict:
        """Every field, octet strings as upper-case hex (for reports and the CLI)."""
        return {"suite": 1, "reconstruction": self.reconstruction.hex().upper(), "subject": self.subject.hex().upper(),
                "issuer": self.issuer.hex().upper(), "profile_id": f"{self.profile_id:04X}",
                "profile_data": self.profile_data.hex().upper()}


@dataclass(frozen=True)
class Suite2Certificate:
    """74 octets: type | serial (8) | curve | hash | issuer (8) | valid from (5, Unix s) | valid to (4, s after
    valid from; FFFFFFFF = no expiry) | subject (8) | key usage | reconstruction point (37)."""

    serial: bytes
    issuer: bytes
    valid_from: int
    valid_to: int
    subject: bytes
    key_usage: int
    reconstruction: bytes
    cert_type: int = TYPE_IMPLICIT
    curve: int = CURVE_SECT283K1
    hash: int = HASH_AES_MMO
    suite = 2
    octets = 74

    def __post_init__(self) -> None:
        _need(self.serial, 8, "serial")
        _need(self.issuer, 8, "issuer")
        _need(self.subject, 8, "subject")
        _need(self.reconstruction, 37, "reconstruction")
        for name, bits in (("valid_from", 40), ("valid_to", 32), ("key_usage", 8), ("cert_type", 8), ("curve", 8),
                           ("hash", 8)):
            value = getattr(self, name)
            if not 0 <= value < 1 << bits:
                raise InputError(f"must fit {bits} bits, got {value!r}", field=name)

    @property
    def expires(self) -> int | None:
        """Unix time the certificate stops being valid, None for no expiry."""
        return None if self.valid_to == NO_EXPIRY else self.valid_from + self.valid_to

    def valid_at(self, now: float) -> bool:
        return self.valid_from <= now and (self.expires is None or now <= self.expires)

    def encode(self) -> bytes:
        return (bytes([self.cert_type]) + self.serial + bytes([self.curve, self.hash]) + self.issuer
                + self.valid_from.to_bytes(5, "big") + self.valid_to.to_bytes(4, "big") + self.subject
                + bytes([self.key_usage]) + self.reconstruction)

    @classmethod
    def decode(cls, data: bytes) -> "Suite2Certificate":
        data = _need(data, 74, "certificate")
        return cls(serial=data[1:9], issuer=data[11:19], valid_from=int.from_bytes(data[19:24], "big"),
                   valid_to=int.from_bytes(data[24:28], "big"), subject=data[28:36], key_usage=data[36],
                   reconstruction=data[37:74], cert_type=data[0], curve=data[9], hash=data[10])

    def replace(self, **changes) -> "Suite2Certificate":
        return replace(self, **changes)

    def fields(self) -> dict:
        """Every field, octet strings as upper-case hex (for reports and the CLI)."""
        return {"suite": 2, "type": self.cert_type, "serial": self.serial.hex().upper(), "curve": self.curve,
                "hash": self.hash, "issuer": self.issuer.hex().upper(), "valid_from": self.valid_from,
                "valid_to": self.valid_to, "expires": self.expires, "subject": self.subject.hex().upper(),
                "key_usage": self.key_usage, "reconstruction": self.reconstruction.hex().upper()}


Certificate = Suite1Certificate | Suite2Certificate


def decode(data: bytes, suite: int | None = None) -> Certificate:
    """Decode by length (48 -> suite 1, 74 -> suite 2), or as `suite` when given."""
    data = bytes(data)
    if suite is None:
        suite = {48: 1, 74: 2}.get(len(data))
        if suite is None:
            raise InputError(f"certificate must be 48 or 74 octets, got {len(data)}", field="certificate")
    if suite == 1:
        return Suite1Certificate.decode(data)
    if suite == 2:
        return Suite2Certificate.decode(data)
    raise InputError(f"unknown CBKE suite {suite!r}", field="suite")
