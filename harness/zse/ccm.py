"""AES-CCM* (IEEE 802.15.4 / Zigbee 05-3474 Annex A) with 13-octet nonces and MIC lengths 0, 4, 8 or 16.

`encrypt(key, nonce, a, m, mic_len)` returns ciphertext || encrypted MIC; `decrypt(...)` reverses it and raises
`MicError` when the MIC does not verify. With mic_len 0 there is no authentication (CTR only).
"""
from __future__ import annotations

from harness.errors import InputError
from harness.zse.aes import encryptor

NONCE_LEN = 13
MIC_LENGTHS = (0, 4, 8, 16)
_L = 2  # length field octets (15 - nonce length)


class MicError(InputError):
    """The message integrity code did not verify (wrong key, nonce or tampered frame)."""


def _check(key: bytes, nonce: bytes, mic_len: int) -> None:
    if len(key) != 16:
        raise InputError(f"key must be 16 octets, got {len(key)}", field="key")
    if len(nonce) != NONCE_LEN:
        raise InputError(f"nonce must be 13 octets, got {len(nonce)}", field="nonce")
    if mic_len not in MIC_LENGTHS:
        raise InputError(f"MIC length must be one of {MIC_LENGTHS}, got {mic_len}", field="mic_len")


def _xor(x: bytes, y: bytes) -> bytes:
    return bytes(p ^ q for p, q in zip(x, y))


def _pad16(data: bytes) -> bytes:
    return data + bytes(-len(data) % 16)


def _mac(aes, nonce: bytes, a: bytes, m: bytes, mic_len: int) -> bytes:
    flags = (0x40 if a else 0) | (((mic_len - 2) // 2) << 3 if mic_len else 0) | (_L - 1)
    blocks = bytes([flags]) + nonce + len(m).to_bytes(_L, "big")
    if a:
        la = len(a).to_bytes(2, "big") if len(a) < 0xFF00 else b"\xff\xfe" + len(a).to_bytes(4, "big")
        blocks += _pad16(la + a)
    blocks += _pad16(m)
    x = bytes(16)
    for i in range(0, len(blocks), 16):
        x = aes.update(_xor(x, blocks[i:i + 16]))
    return x[:mic_len]


def _keystream(aes, nonce: bytes, n_blocks: int) -> bytes:
    prefix = bytes([_L - 1]) + nonce
    return aes.update(b"".join(prefix + i.to_bytes(_L, "big") for i in range(n_blocks + 1)))


def encrypt(key: bytes, nonce: bytes, a: bytes, m: bytes, mic_len: int) -> bytes:
    """CCM* transform: authenticate `a` || `m`, encrypt `m`; returns ciphertext || encrypted MIC."""
    _check(key, nonce, mic_len)
    if len(m) >= 1 << (8 * _L):
        raise InputError("message too long for CCM* with 13-octet nonce", field="m")
    aes = encryptor(key)
    tag = _mac(aes, nonce, a, m, mic_len) if mic_len else b""
    stream = _keystream(aes, nonce, (len(m) + 15) // 16)
    return _xor(m, stream[16:]) + _xor(tag, stream[:16])


def decrypt(key: bytes, nonce: bytes, a: bytes, c: bytes, mic_len: int) -> bytes:
    """Inverse of `encrypt`: returns the plaintext; raises MicError when the MIC does not verify."""
    _check(key, nonce, mic_len)
    if len(c) < mic_len:
        raise InputError(f"secured payload shorter than its {mic_len}-octet MIC", field="mic")
    body, enc_tag = c[:len(c) - mic_len], c[len(c) - mic_len:]
    aes = encryptor(key)
    stream = _keystream(aes, nonce, (len(body) + 15) // 16)
    m = _xor(body, stream[16:])
    if mic_len:
        tag = _xor(enc_tag, stream[:16])
        if _mac(aes, nonce, a, m, mic_len) != tag:
            raise MicError("MIC does not verify", field="mic")
    return m
