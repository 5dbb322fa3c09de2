"""AES-128-GCM (NIST SP 800-38D) encrypt/decrypt and GMAC, built on the AES block function.

GHASH runs on Python ints (bit-serial multiply in GF(2^128)); tags are 12 or 16 bytes.
"""
from .aes import AES128
from .compare import equal
from .errors import CryptoInputError

_R = 0xE1 << 120
_MASK128 = (1 << 128) - 1


class AuthenticationFailed(ValueError):
    """The GCM tag did not verify."""


def _gf_mult(x, y):
    z = 0
    v = y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def _ghash(h, aad, data):
    y = 0
    for part in (aad, data):
        for i in range(0, len(part), 16):
            chunk = part[i:i + 16]
            if len(chunk) < 16:
                chunk = bytes(chunk) + bytes(16 - len(chunk))
            y = _gf_mult(y ^ int.from_bytes(chunk, "big"), h)
    lengths = ((len(aad) * 8) << 64) | (len(data) * 8)
    return _gf_mult(y ^ lengths, h)


def _check(tag_len):
    if tag_len not in (12, 16):
        raise CryptoInputError("tag length must be 12 or 16, got %d" % tag_len, "tag")


def _setup(key, iv):
    aes = AES128(key)
    h = int.from_bytes(aes.encrypt_block(bytes(16)), "big")
    if len(iv) == 12:
        j0 = int.from_bytes(bytes(iv) + b"\x00\x00\x00\x01", "big")
    elif len(iv) == 0:
        raise CryptoInputError("IV must not be empty", "iv")
    else:
        j0 = _ghash(h, b"", iv)
    return aes, h, j0


def _ctr(aes, j0, data):
    out = bytearray(len(data))
    prefix = j0 & ~0xFFFFFFFF & _MASK128
    c = j0 & 0xFFFFFFFF
    for i in range(0, len(data), 16):
        c = (c + 1) & 0xFFFFFFFF
        ks = aes.encrypt_block((prefix | c).to_bytes(16, "big"))
        for j in range(min(16, len(data) - i)):
            out[i + j] = data[i + j] ^ ks[j]
    return bytes(out)


def _tag(aes, h, j0, aad, ct, tag_len):
    s = _ghash(h, aad, ct)
    full = (s ^ int.from_bytes(aes.encrypt_block(j0.to_bytes(16, "big")), "big")).to_bytes(16, "big")
    return full[:tag_len]


def encrypt(key, iv, plaintext, aad=b"", tag_len=16):
    """(ciphertext, tag) of AES-128-GCM."""
    _check(tag_len)
    aes, h, j0 = _setup(key, iv)
    ct = _ctr(aes, j0, plaintext)
    return ct, _tag(aes, h, j0, aad, ct, tag_len)


def decrypt(key, iv, ciphertext, tag, aad=b""):
    """The plaintext; raises AuthenticationFailed when ``tag`` (12 or 16 bytes) does not verify."""
    _check(len(tag))
    aes, h, j0 = _setup(key, iv)
    if not equal(_tag(aes, h, j0, aad, ciphertext, len(tag)), tag):
        raise AuthenticationFailed("GCM tag mismatch")
    return _ctr(aes, j0, ciphertext)


def gmac(key, iv, aad, tag_len=16):
    """The GMAC tag (GCM with an empty plaintext) over ``aad``."""
    _check(tag_len)
    aes, h, j0 = _setup(key, iv)
    return _tag(aes, h, j0, aad, b"", tag_len)
