"""Zigbee NWK/APS frame security: the auxiliary security header codec and CCM* secure/unsecure of a frame.

Conventions (Zigbee 05-3474 §4.5.1): the nonce is source EUI-64 (8 octets, little-endian exactly as on air) ||
frame counter (4, LE) || security control octet carrying the *real* security level; `a` is the frame header ||
auxiliary header (real level); without encryption (levels 1-3) the payload is authenticated too and sent in clear.
After securing, the level in the transmitted security control octet is overwritten with 0 (`on_air_level`), and a
receiver restores the level it expects (`level`, normally 5 = ENC-MIC-32) before unsecuring.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zse import ccm

KEY_DATA = 0          # link key
KEY_NETWORK = 1
KEY_TRANSPORT = 2     # key-transport key
KEY_LOAD = 3          # key-load key
DEFAULT_LEVEL = 5     # ENC-MIC-32


def mic_length(level: int) -> int:
    """MIC octets for a security level 0-7 (0, 4, 8, 16)."""
    _check_level(level)
    return (0, 4, 8, 16)[level & 3]


def encrypts(level: int) -> bool:
    """True when the security level encrypts the payload (levels 4-7)."""
    _check_level(level)
    return bool(level & 4)


def _check_level(level: int) -> None:
    if not isinstance(level, int) or not 0 <= level <= 7:
        raise InputError(f"security level must be 0..7, got {level!r}", field="security_level")


@dataclass(frozen=True)
class AuxHeader:
    """Auxiliary security header. `source` (on-air LE octets) present = extended nonce; `key_seq` present iff NWK key."""

    level: int
    key_id: int
    frame_counter: int
    source: bytes | None = None
    key_seq: int | None = None

    def __post_init__(self) -> None:
        _check_level(self.level)
        if self.key_id not in (KEY_DATA, KEY_NETWORK, KEY_TRANSPORT, KEY_LOAD):
            raise InputError(f"key identifier must be 0..3, got {self.key_id!r}", field="key_id")
        if not 0 <= self.frame_counter <= 0xFFFFFFFF:
            raise InputError("frame counter must fit 32 bits", field="frame_counter")
        if self.source is not None and len(self.source) != 8:
            raise InputError(f"source address must be 8 octets, got {len(self.source)}", field="source")
        if (self.key_seq is not None) != (self.key_id == KEY_NETWORK):
            raise InputError("key sequence number is present exactly when the key is a network key", field="key_seq")
        if self.key_seq is not None and not 0 <= self.key_seq <= 0xFF:
            raise InputError("key sequence number must fit 8 bits", field="key_seq")

    def control(self, level: int | None = None) -> int:
        """The security control octet, with `level` in place of the real level when given."""
        lvl = self.level if level is None else level
        return lvl | (self.key_id << 3) | (0x20 if self.source is not None else 0)

    def encode(self, level: int | None = None) -> bytes:
        """Octets of the header; `level` overrides the level subfield (0 on air)."""
        out = bytes([self.control(level)]) + self.frame_counter.to_bytes(4, "little")
        if self.source is not None:
            out += self.source
        if self.key_seq is not None:
            out += bytes([self.key_seq])
        return out

    def nonce(self, source: bytes | None = None) -> bytes:
        """CCM* nonce: source EUI-64 (on-air LE) || frame counter LE || control octet with the real level."""
        src = self.source if self.source is not None else source
        if src is None or len(src) != 8:
            raise InputError("an 8-octet source EUI-64 is needed for the nonce (no extended nonce in frame)",
                             field="source")
        return src + self.frame_counter.to_bytes(4, "little") + bytes([self.control()])

    @classmethod
    def decode(cls, data: bytes, offset: int = 0, level: int | None = None) -> tuple["AuxHeader", int]:
        """Parse at `offset`; returns (header, octets used). `level` replaces the on-air level subfield when given."""
        if len(data) < offset + 5:
            raise InputError("frame too short for the auxiliary security header", field="aux_header", offset=offset)
        control = data[offset]
        if control & 0xC0:
            raise InputError(f"reserved bits set in security control 0x{control:02X}", field="security_control",
                             offset=offset)
        on_air = control & 7
        if level is not None and on_air not in (0, level):
            raise InputError(f"security level on air is {on_air}, expected 0 or {level}", field="security_control",
                             offset=offset)
        key_id = (control >> 3) & 3
        pos = offset + 1
        counter = int.from_bytes(data[pos:pos + 4], "little")
        pos += 4
        source = None
        if control & 0x20:
            if len(data) < pos + 8:
                raise InputError("frame too short for the extended nonce source address", field="source", offset=pos)
            source = bytes(data[pos:pos + 8])
            pos += 8
        key_seq = None
        if key_id == KEY_NETWORK:
            if len(data) < pos + 1:
                raise InputError("frame too short for the key sequence number", field="key_seq", offset=pos)
            key_seq = data[pos]
            pos += 1
        real = on_air if level is None else level
        return cls(real, key_id, counter, source, key_seq), pos - offset


@dataclass(frozen=True)
class Unsecured:
    """A frame after unsecuring: header octets, its auxiliary header (real level) and the plaintext payload."""

    header: bytes
    aux: AuxHeader
    payload: bytes


def secure(key: bytes, header: bytes, aux: AuxHeader, payload: bytes, *, source: bytes | None = None,
           on_air_level: int | None = 0) -> bytes:
    """header || aux header || secured payload || MIC. `source` (on-air LE EUI-64) is needed when `aux` has none;
    `on_air_level` is the level written in the transmitted control octet (None keeps the real one)."""
    header = bytes(header)
    a = header + aux.encode()
    if encrypts(aux.level):
        body = ccm.encrypt(key, aux.nonce(source), a, bytes(payload), mic_length(aux.level))
    else:
        body = bytes(payload) + ccm.encrypt(key, aux.nonce(source), a + bytes(payload), b"", mic_length(aux.level))
    return header + aux.encode(on_air_level) + body


def unsecure(key: bytes, frame: bytes, header_len: int, *, level: int | None = DEFAULT_LEVEL,
             source: bytes | None = None) -> Unsecured:
    """Reverse `secure`. `header_len` = octets before the aux header; `level` = the expected real level (None = trust
    the on-air level). Raises `ccm.MicError` on a bad MIC and InputError on a malformed frame."""
    frame = bytes(frame)
    if not 0 <= header_len <= len(frame):
        raise InputError(f"header length {header_len} outside the {len(frame)}-octet frame", field="header_len")
    aux, used = AuxHeader.decode(frame, header_len, level)
    header = frame[:header_len]
    rest = frame[header_len + used:]
    a = header + aux.encode()
    mic = mic_length(aux.level)
    if len(rest) < mic:
        raise InputError(f"secured payload shorter than its {mic}-octet MIC", field="mic", offset=header_len + used)
    if encrypts(aux.level):
        payload = ccm.decrypt(key, aux.nonce(source), a, rest, mic)
    else:
        payload = rest[:len(rest) - mic]
        ccm.decrypt(key, aux.nonce(source), a + payload, rest[len(rest) - mic:], mic)
    return Unsecured(header, aux, payload)
