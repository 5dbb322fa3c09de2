"""AES-MMO hash (Zigbee 05-3474 Annex B.6), short and long padding forms, and HMAC-MMO."""
from __future__ import annotations

from harness.zse.aes import encryptor

BLOCK = 16
# Messages of 2^16 bits (8192 octets) or more use the long padding form.
LONG_FORM_OCTETS = 8192
MAX_OCTETS = (1 << 29) - 1


def pad(message: bytes) -> bytes:
    """`message` with the MMO padding appended (short form below 8192 octets, long form from there)."""
    n = len(message)
    if n > MAX_OCTETS:
        raise ValueError(f"AES-MMO input is limited to 2^32 bits, got {n} octets")
    bits = n * 8
    if n < LONG_FORM_OCTETS:
        zeros = (14 - (n + 1)) % BLOCK
        return message + b"\x80" + bytes(zeros) + bits.to_bytes(2, "big")
    zeros = (10 - (n + 1)) % BLOCK
    return message + b"\x80" + bytes(zeros) + bits.to_bytes(4, "big") + b"\x00\x00"


def mmo_hash(message: bytes) -> bytes:
    """The 16-octet AES-MMO digest of `message`."""
    data = pad(bytes(message))
    h = bytes(BLOCK)
    for i in range(0, len(data), BLOCK):
        block = data[i:i + BLOCK]
        e = encryptor(h).update(block)
        h = (int.from_bytes(e, "big") ^ int.from_bytes(block, "big")).to_bytes(BLOCK, "big")
    return h


def _xor_const(key: bytes, const: int) -> bytes:
    return bytes(b ^ const for b in key)


def hmac_mmo(key: bytes, message: bytes) -> bytes:
    """Keyed hash MAC over AES-MMO with a 16-octet block: MMO((K^0x5C..) || MMO((K^0x36..) || M))."""
    if len(key) > BLOCK:
        key = mmo_hash(key)
    key = key + bytes(BLOCK - len(key))
    inner = mmo_hash(_xor_const(key, 0x36) + bytes(message))
    return mmo_hash(_xor_const(key, 0x5C) + inner)
