"""Install codes: CRC-16/X-25 check and the preconfigured link key AES-MMO(code || CRC)."""
from __future__ import annotations

from harness.errors import InputError
from harness.zse.mmo import mmo_hash

# Install code lengths including the 2 CRC octets.
VALID_LENGTHS = (8, 10, 14, 18)


def crc16_x25(data: bytes) -> int:
    """CRC-16/X-25: reflected poly 0x8408, init 0xFFFF, final XOR 0xFFFF."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def check_length(code: bytes) -> None:
    """Raise InputError unless `code` (with CRC) has one of the valid lengths."""
    if len(code) not in VALID_LENGTHS:
        raise InputError(f"install code must be 8, 10, 14 or 18 octets with CRC, got {len(code)}",
                         field="install_code")


def crc_ok(code: bytes) -> bool:
    """True when the last two octets are the little-endian CRC-16/X-25 of the rest."""
    check_length(code)
    return crc16_x25(code[:-2]) == int.from_bytes(code[-2:], "little")


def append_crc(code: bytes) -> bytes:
    """A 6/8/12/16-octet code with its CRC appended little-endian."""
    if len(code) + 2 not in VALID_LENGTHS:
        raise InputError(f"install code without CRC must be 6, 8, 12 or 16 octets, got {len(code)}",
                         field="install_code")
    return code + crc16_x25(code).to_bytes(2, "little")


def link_key(code: bytes) -> bytes:
    """The preconfigured link key for an install code (CRC included in the hash; not checked here)."""
    check_length(code)
    return mmo_hash(code)


def checked_link_key(code: bytes) -> bytes:
    """The link key, raising InputError (field 'crc') when the CRC does not match."""
    if not crc_ok(code):
        raise InputError("install code CRC-16/X-25 does not match", field="crc", offset=len(code) - 2)
    return mmo_hash(code)
