"""τ-adic scalar recoding for Koblitz curves (Hankerson–Menezes–Vanstone, Guide to ECC §3.4).

On a Koblitz curve the Frobenius map τ(x, y) = (x², y²) satisfies τ² = μτ − 2 (μ = 1 if a = 1, else −1), so a
scalar can be written in base τ and multiplied with squarings instead of doublings. Elements of Z[τ] are int pairs
(r0, r1) = r0 + r1·τ.
"""
from __future__ import annotations


def _round_div(num: int, den: int) -> int:
    """Nearest integer to num/den (den > 0)."""
    return (2 * num + den) // (2 * den)


class TauRing:
    """Arithmetic in Z[τ] for one μ, plus the recodings the scalar multiplication needs."""

    def __init__(self, mu: int, m: int, width: int):
        self.mu, self.m, self.width = mu, m, width
        self.delta = self.div_exact(self.sub(self.tau_power(m), (1, 0)), (-1, 1))
        lucas = [0, 1]
        for _ in range(width):
            lucas.append(mu * lucas[-1] - 2 * lucas[-2])
        self.t_w = (2 * lucas[width - 1] * pow(lucas[width], -1, 1 << width)) % (1 << width)
        tw = self.tau_power(width)
        # alpha[u] = u mod τ^w for odd u < 2^(w-1): the digit values of the width-w TNAF
        self.alpha = {u: self.sub((u, 0), self.mul(self.div_round((u, 0), tw), tw)) for u in range(1, 1 << (width - 1), 2)}

    def mul(self, x: tuple[int, int], y: tuple[int, int]) -> tuple[int, int]:
        a, b = x
        c, d = y
        return a * c - 2 * b * d, a * d + b * c + self.mu * b * d

    @staticmethod
    def sub(x: tuple[int, int], y: tuple[int, int]) -> tuple[int, int]:
        return x[0] - y[0], x[1] - y[1]

    def norm(self, x: tuple[int, int]) -> int:
        a, b = x
        return a * a + self.mu * a * b + 2 * b * b

    def conj(self, x: tuple[int, int]) -> tuple[int, int]:
        a, b = x
        return a + self.mu * b, -b

    def tau_power(self, k: int) -> tuple[int, int]:
        out = (1, 0)
        for _ in range(k):
            out = self.mul(out, (0, 1))
        return out

    def div_exact(self, x: tuple[int, int], y: tuple[int, int]) -> tuple[int, int]:
        num, n = self.mul(x, self.conj(y)), self.norm(y)
        if num[0] % n or num[1] % n:
            raise ArithmeticError("not divisible in Z[τ]")
        return num[0] // n, num[1] // n

    def div_round(self, x: tuple[int, int], y: tuple[int, int]) -> tuple[int, int]:
        num, n = self.mul(x, self.conj(y)), self.norm(y)
        return _round_div(num[0], n), _round_div(num[1], n)

    def partial_reduce(self, k: int) -> tuple[int, int]:
        """ρ ≡ k (mod δ), δ = (τ^m − 1)/(τ − 1), with norm about n: ρ·P = k·P for P of order n."""
        q = self.div_round((k, 0), self.delta)
        return self.sub((k, 0), self.mul(q, self.delta))

    def digits(self, r: tuple[int, int]) -> list[int]:
        """Width-w τ-adic NAF of r, least significant first; digit ±u stands for ±alpha[u]."""
        r0, r1 = r
        w, mu, t_w = self.width, self.mu, self.t_w
        full, half = 1 << w, 1 << (w - 1)
        out = []
        while r0 or r1:
            if r0 & 1:
                u = (r0 + r1 * t_w) % full
                if u >= half:
                    u -= full
                a0, a1 = self.alpha[abs(u)]
                if u > 0:
                    r0, r1 = r0 - a0, r1 - a1
                else:
                    r0, r1 = r0 + a0, r1 + a1
                out.append(u)
            else:
                out.append(0)
            r0, r1 = r1 + mu * (r0 // 2), -(r0 // 2)
        return out
