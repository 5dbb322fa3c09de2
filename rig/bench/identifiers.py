"""Parsing of the device identifiers written in bench files: EUI-64s and Zigbee install codes."""
from __future__ import annotations

import re

from harness.zse.install_code import crc16_x25

INSTALL_CODE_LENGTHS = (6, 8, 12, 16)  # bytes, before the 2-byte CRC
_SEPARATORS = re.compile(r"[\s:\-]")


def parse_eui64(text: str) -> str:
    """16 hex digits (":" or "-" separators allowed) -> canonical upper-case hex; ValueError says what is wrong."""
    digits = _SEPARATORS.sub("", text)
    if len(digits) != 16 or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
        raise ValueError(f"{text!r} is not an EUI-64 (expected 16 hex digits, e.g. 00:0D:6F:00:0A:BC:DE:F0)")
    return digits.upper()


def parse_install_code(text: str) -> bytes:
    """Hex install code including its little-endian CRC-16 -> bytes; ValueError says what is wrong."""
    digits = _SEPARATORS.sub("", text)
    if not re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", digits):
        raise ValueError(f"{text!r} is not hex (expected an install code in hex digits)")
    code = bytes.fromhex(digits)
    if len(code) - 2 not in INSTALL_CODE_LENGTHS:
        raise ValueError(f"install code is {len(code)} bytes, expected 6, 8, 12 or 16 bytes plus a 2-byte CRC")
    body, crc = code[:-2], int.from_bytes(code[-2:], "little")
    if crc16_x25(body) != crc:
        raise ValueError(f"install code CRC is {code[-2:].hex().upper()}, expected "
                         f"{crc16_x25(body).to_bytes(2, 'little').hex().upper()} (check for a typo)")
    return code
