"""SHA-256 and HMAC-SHA-256 over hashlib (present in CPython and the MicroPython ports)."""
import hashlib

BLOCK = 64


def sha256(data):
    """The 32-byte SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


def hmac_sha256(key, data):
    """HMAC-SHA-256 (RFC 2104); written out because MicroPython has no hmac module."""
    if len(key) > BLOCK:
        key = sha256(key)
    key = bytes(key) + bytes(BLOCK - len(key))
    inner = hashlib.sha256(bytes([b ^ 0x36 for b in key]))
    inner.update(data)
    outer = hashlib.sha256(bytes([b ^ 0x5C for b in key]))
    outer.update(inner.digest())
    return outer.digest()
