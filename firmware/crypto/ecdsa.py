"""ECDSA over P-256 with SHA-256 and raw r||s signatures (IEEE P1363), RFC 6979 deterministic k."""
import os

from .errors import CryptoInputError
from .hashing import hmac_sha256, sha256
from .p256 import G, N, decode_point, multiply, multiply_two, public_key, scalar, to_affine


def generate_keypair():
    """(private 32 bytes, public 65 bytes) from os.urandom with rejection sampling."""
    while True:
        d = os.urandom(32)
        if 0 < int.from_bytes(d, "big") < N:
            return d, public_key(d)


def _bits2int(h):
    return int.from_bytes(h, "big")


def _nonces(d, h1):
    x = d.to_bytes(32, "big")
    h = (_bits2int(h1) % N).to_bytes(32, "big")
    v = b"\x01" * 32
    k = b"\x00" * 32
    k = hmac_sha256(k, v + b"\x00" + x + h)
    v = hmac_sha256(k, v)
    k = hmac_sha256(k, v + b"\x01" + x + h)
    v = hmac_sha256(k, v)
    while True:
        v = hmac_sha256(k, v)
        cand = _bits2int(v)
        if 0 < cand < N:
            yield cand
        k = hmac_sha256(k, v + b"\x00")
        v = hmac_sha256(k, v)


def sign_digest(private, digest):
    """64-byte r||s over a 32-byte digest, with k from RFC 6979 (HMAC-SHA-256)."""
    d = scalar(private)
    if len(digest) != 32:
        raise CryptoInputError("digest must be 32 bytes", "digest")
    e = _bits2int(digest) % N
    for k in _nonces(d, digest):
        r = to_affine(multiply(k, G))[0] % N
        if r == 0:
            continue
        s = pow(k, N - 2, N) * (e + r * d) % N
        if s == 0:
            continue
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign(private, message):
    """64-byte r||s ECDSA-SHA-256 signature of ``message``."""
    return sign_digest(private, sha256(message))


def verify_digest(public, digest, signature):
    """True when ``signature`` (64-byte r||s) is valid for ``digest`` under the 65/33-byte ``public``."""
    if len(signature) != 64:
        raise CryptoInputError("signature must be 64 bytes r||s, got %d" % len(signature), "signature")
    q = decode_point(public, "public")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < N and 0 < s < N):
        return False
    e = _bits2int(digest) % N
    w = pow(s, N - 2, N)
    pt = multiply_two(e * w % N, G, r * w % N, q)
    if pt[2] == 0:
        return False
    return to_affine(pt)[0] % N == r


def verify(public, message, signature):
    """True when ``signature`` is a valid ECDSA-SHA-256 r||s signature of ``message``."""
    return verify_digest(public, sha256(message), signature)
