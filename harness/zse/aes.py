"""AES-128 block encryption (ECB), the primitive under AES-MMO and CCM*."""
from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def encryptor(key: bytes):
    """An AES-128-ECB encryptor for `key`; call `.update(block)` on 16-octet multiples."""
    if len(key) != 16:
        raise ValueError(f"AES-128 key must be 16 octets, got {len(key)}")
    return Cipher(algorithms.AES(key), modes.ECB()).encryptor()

