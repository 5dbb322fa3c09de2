"""Arithmetic in GF(2^m), polynomial basis, elements as Python ints (bit i = coefficient of x^i).

Multiplication uses CPython's big-integer multiply on a "spread" form: each coefficient sits in its own 9-bit slot,
so the integer product's slot sums (at most m < 512 terms) never carry and their low bits are the carry-less
product. Scalar multiplications stay in spread form (`smul`, `ssqr`, `spread`, `unspread`).
"""
from __future__ import annotations

SLOT = 9  # bits per coefficient in spread form; supports m < 512


class BinaryField:
    """GF(2^m) with reduction polynomial x^m + sum(x^k for k in taps) (taps include 0)."""

    def __init__(self, m: int, taps: tuple[int, ...]):
        if not 2 <= m < 1 << SLOT or any(not 0 <= k < m for k in taps) or 2 * max(taps) > m:
            raise ValueError("unsupported field")
        self.m = m
        self.taps = taps
        self.mask = (1 << m) - 1
        self.octets = (m + 7) // 8
        self._smask = int(("0" * (SLOT - 1) + "1") * (2 * m), 2)
        self._slow = (1 << (SLOT * m)) - 1
        self._sep = "0" * (SLOT - 1)
        self._width = SLOT * m
        self.smul, self.ssqr = _spread_ops(self._smask, self._width, self._slow, tuple(SLOT * k for k in taps))

    # ---- normal form -------------------------------------------------------------------------------------------
    def reduce(self, p: int) -> int:
        """p mod f(x) for any non-negative p."""
        m, mask, taps = self.m, self.mask, self.taps
        while p >> m:
            hi = p >> m
            p &= mask
            for k in taps:
                p ^= hi << k
        return p

    def mul(self, a: int, b: int) -> int:
        return self.unspread(self.smul(self.spread(a), self.spread(b)))

    def sqr(self, a: int) -> int:
        return self.unspread(self.ssqr(self.spread(a)))

    def inv(self, a: int) -> int:
        """Multiplicative inverse (extended Euclid); ZeroDivisionError for 0."""
        if a == 0:
            raise ZeroDivisionError("0 has no inverse in GF(2^m)")
        u, v = a, (1 << self.m) | sum(1 << k for k in self.taps)
        g1, g2 = 1, 0
        while u != 1:
            j = u.bit_length() - v.bit_length()
            if j < 0:
                u, v, g1, g2, j = v, u, g2, g1, -j
            u ^= v << j
            g1 ^= g2 << j
        return self.reduce(g1)

    def div(self, a: int, b: int) -> int:
        return self.mul(a, self.inv(b))

    def sqrt(self, a: int) -> int:
        """a^(2^(m-1)), the unique square root."""
        s = self.spread(a)
        for _ in range(self.m - 1):
            s = self.ssqr(s)
        return self.unspread(s)

    def trace(self, a: int) -> int:
        """Absolute trace Tr(a) = a + a^2 + ... + a^(2^(m-1)), in {0, 1}."""
        x = t = self.spread(a)
        for _ in range(self.m - 1):
            x = self.ssqr(x)
            t ^= x
        return self.unspread(t)

    def half_trace(self, a: int) -> int:
        """H(a) = sum a^(2^(2i)), i = 0..(m-1)/2 (m odd); solves z^2 + z = a when Tr(a) = 0."""
        ssqr = self.ssqr
        x = h = self.spread(a)
        for _ in range((self.m - 1) // 2):
            x = ssqr(ssqr(x))
            h ^= x
        return self.unspread(h)

    # ---- spread form -------------------------------------------------------------------------------------------
    def spread(self, a: int) -> int:
        return int(self._sep.join(format(a, "b")), 2)

    def unspread(self, s: int) -> int:
        return int(format(s, f"0{self._width}b")[SLOT - 1::SLOT], 2)


def _spread_ops(mask: int, width: int, low: int, shifts: tuple[int, ...]):
    """(smul, ssqr) closures for spread-form elements. A product has degree < 2m - 1, and two folds of the part
    above x^m reduce it because 2·max(taps) <= m (checked by BinaryField)."""

    def smul(a: int, b: int) -> int:
        p = (a * b) & mask
        hi = p >> width
        p &= low
        for shift in shifts:
            p ^= hi << shift
        hi = p >> width
        p &= low
        for shift in shifts:
            p ^= hi << shift
        return p

    def ssqr(a: int) -> int:
        p = (a * a) & mask
        hi = p >> width
        p &= low
        for shift in shifts:
            p ^= hi << shift
        hi = p >> width
        p &= low
        for shift in shifts:
            p ^= hi << shift
        return p

    return smul, ssqr
