"""Slow, obvious reference arithmetic for cross-checking harness.zse: bit-serial GF(2^m) and affine double-and-add."""
from __future__ import annotations


class RefField:
    def __init__(self, m: int, poly: int):
        self.m, self.poly = m, poly          # poly includes the x^m term

    def mod(self, a: int) -> int:
        while a.bit_length() > self.m:
            a ^= self.poly << (a.bit_length() - 1 - self.m)
        return a

    def mul(self, a: int, b: int) -> int:
        r = 0
        while b:
            if b & 1:
                r ^= a
            b >>= 1
            a = self.mod(a << 1)
        return r

    def inv(self, a: int) -> int:
        """Extended Euclid by polynomial long division."""
        r0, r1, s0, s1 = self.poly, a, 0, 1
        while r1:
            q = 0
            r = r0
            while r and r.bit_length() >= r1.bit_length():
                shift = r.bit_length() - r1.bit_length()
                q ^= 1 << shift
                r ^= r1 << shift
            r0, r1 = r1, r
            s0, s1 = s1, s0 ^ self._clmul(q, s1)
        assert r0 == 1
        return self.mod(s0)

    @staticmethod
    def _clmul(a: int, b: int) -> int:
        r = 0
        while b:
            if b & 1:
                r ^= a
            b >>= 1
            a <<= 1
        return r


class RefCurve:
    def __init__(self, field: RefField, a: int, b: int):
        self.f, self.a, self.b = field, a, b

    def add(self, p, q):
        if p is None:
            return q
        if q is None:
            return p
        f = self.f
        (x1, y1), (x2, y2) = p, q
        if x1 == x2:
            if y1 != y2 or x1 == 0:
                return None
            lam = x1 ^ f.mul(y1, f.inv(x1))
            x3 = f.mul(lam, lam) ^ lam ^ self.a
            return x3, f.mul(x1, x1) ^ f.mul(lam, x3) ^ x3
        lam = f.mul(y1 ^ y2, f.inv(x1 ^ x2))
        x3 = f.mul(lam, lam) ^ lam ^ x1 ^ x2 ^ self.a
        return x3, f.mul(lam, x1 ^ x3) ^ x3 ^ y1

    def mul(self, k: int, p):
        r = None
        for bit in bin(k)[2:]:
            r = self.add(r, r)
            if bit == "1":
                r = self.add(r, p)
        return r


REF163 = RefCurve(RefField(163, (1 << 163) | 0xC9), 1, 1)
REF283 = RefCurve(RefField(283, (1 << 283) | 0x10A1), 0, 1)
