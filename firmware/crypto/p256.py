"""NIST P-256 arithmetic in pure Python: Jacobian coordinates (a = -3), point encoding, ECDH.

Modular inverses use Fermat (pow(a, p - 2, p)); MicroPython's pow(a, -1, m) is wrong.
Not constant-time: the simulated boards are not a side-channel target.
"""
from .errors import CryptoInputError

P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
G = (GX, GY, 1)
INFINITY = (1, 1, 0)


def double(pt):
    """2*pt in Jacobian coordinates (dbl-2001-b, a = -3)."""
    x, y, z = pt
    if z == 0 or y == 0:
        return INFINITY
    delta = z * z % P
    gamma = y * y % P
    beta = x * gamma % P
    alpha = 3 * (x - delta) * (x + delta) % P
    x3 = (alpha * alpha - 8 * beta) % P
    z3 = ((y + z) * (y + z) - gamma - delta) % P
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % P
    return (x3, y3, z3)


def add(p1, p2):
    """p1 + p2 in Jacobian coordinates (a mixed add when p2 has z = 1)."""
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if z1 == 0:
        return p2
    if z2 == 0:
        return p1
    z1z1 = z1 * z1 % P
    u2 = x2 * z1z1 % P
    s2 = y2 * z1 * z1z1 % P
    if z2 == 1:
        u1 = x1
        s1 = y1
    else:
        z2z2 = z2 * z2 % P
        u1 = x1 * z2z2 % P
        s1 = y1 * z2 * z2z2 % P
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    if h == 0:
        return double(p1) if r == 0 else INFINITY
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    y3 = (r * (v - x3) - s1 * hhh) % P
    z3 = h * z1 % P
    if z2 != 1:
        z3 = z3 * z2 % P
    return (x3, y3, z3)


def to_affine(pt):
    """(x, y) of a Jacobian point; raises CryptoInputError for the point at infinity."""
    x, y, z = pt
    if z == 0:
        raise CryptoInputError("point at infinity", "point")
    zi = pow(z, P - 2, P)
    zi2 = zi * zi % P
    return (x * zi2 % P, y * zi2 * zi % P)


def multiply(k, pt):
    """k*pt by left-to-right double-and-add over 256 bits (0 <= k < 2^256)."""
    acc = INFINITY
    for i in range(255, -1, -1):
        acc = double(acc)
        if (k >> i) & 1:
            acc = add(acc, pt)
    return acc


def multiply_two(k1, p1, k2, p2):
    """k1*p1 + k2*p2 with Shamir's trick (one shared doubling chain)."""
    both = add(p1, p2)
    acc = INFINITY
    for i in range(255, -1, -1):
        acc = double(acc)
        b = ((k1 >> i) & 1) | (((k2 >> i) & 1) << 1)
        if b == 1:
            acc = add(acc, p1)
        elif b == 2:
            acc = add(acc, p2)
        elif b == 3:
            acc = add(acc, both)
    return acc


def on_curve(x, y):
    """True when the affine point (x, y) satisfies y^2 = x^3 - 3x + b (mod p)."""
    return (y * y - (x * x * x - 3 * x + B)) % P == 0


def decode_point(data, field="point"):
    """A Jacobian point (z = 1) from 04||x||y or 02/03||x; rejects off-curve and malformed input."""
    if len(data) == 65 and data[0] == 4:
        x = int.from_bytes(data[1:33], "big")
        y = int.from_bytes(data[33:65], "big")
        if x >= P or y >= P or not on_curve(x, y):
            raise CryptoInputError("point is not on P-256", field)
        return (x, y, 1)
    if len(data) == 33 and data[0] in (2, 3):
        x = int.from_bytes(data[1:33], "big")
        if x >= P:
            raise CryptoInputError("x coordinate out of range", field)
        rhs = (x * x * x - 3 * x + B) % P
        y = pow(rhs, (P + 1) // 4, P)
        if y * y % P != rhs:
            raise CryptoInputError("x coordinate has no point on P-256", field)
        if (y & 1) != (data[0] & 1):
            y = P - y
        return (x, y, 1)
    raise CryptoInputError("expected 65-byte 04||x||y or 33-byte 02/03||x, got %d bytes" % len(data), field)


def encode_point(pt, compressed=False):
    """SEC1 encoding of a point: 04||x||y, or 02/03||x when ``compressed``."""
    x, y = to_affine(pt)
    if compressed:
        return bytes([2 | (y & 1)]) + x.to_bytes(32, "big")
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def scalar(data, field="private"):
    """A private scalar 1 <= d < n from 32 big-endian bytes."""
    if len(data) != 32:
        raise CryptoInputError("private key must be 32 bytes, got %d" % len(data), field)
    d = int.from_bytes(data, "big")
    if not 0 < d < N:
        raise CryptoInputError("private key out of range", field)
    return d


def public_key(private):
    """The 65-byte uncompressed public key of a 32-byte private scalar."""
    return encode_point(multiply(scalar(private), G))


def ecdh(private, peer_public):
    """The 32-byte x coordinate of private * peer_public (static-static ECDH shared secret Z)."""
    shared = multiply(scalar(private), decode_point(peer_public, "peer_public"))
    return to_affine(shared)[0].to_bytes(32, "big")
