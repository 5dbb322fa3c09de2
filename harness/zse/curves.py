"""Koblitz curves y^2 + xy = x^3 + a x^2 + b over GF(2^m): sect163k1 (CBKE suite 1) and sect283k1 (suite 2).

Points are affine `(x, y)` int tuples, `None` is the point at infinity O. Two scalar multiplications, both in
spread-form field arithmetic: `mul` is the López–Dahab x-only Montgomery ladder (any point, any integer, y recovered
at the end); `mul_subgroup` is a joint width-4 τ-adic NAF in López–Dahab projective coordinates with mixed additions
(Frobenius = three squarings), valid for points of prime order n, used for ECMQV; `base_mul` (k·G) walks a
precomputed table of Frobenius images of G, so it needs additions only.
"""
from __future__ import annotations

from harness.errors import InputError
from harness.zse.gf2m import BinaryField
from harness.zse.tnaf import TauRing

TNAF_WIDTH = 4

Point = tuple[int, int] | None


class Curve:
    """One binary curve with its base point G of prime order n and cofactor h."""

    def __init__(self, name: str, field: BinaryField, a: int, b: int, gx: int, gy: int, n: int, h: int):
        self.name, self.field, self.a, self.b = name, field, a, b
        self.g: Point = (gx, gy)
        self.n, self.h = n, h
        self.octets = field.octets                # field element / coordinate
        self.scalar_octets = (n.bit_length() + 7) // 8
        self.point_octets = self.octets + 1       # compressed point
        self._sb = field.spread(b)
        self._tau = TauRing(1 if a == 1 else -1, field.m, TNAF_WIDTH)
        self._base_table: dict | None = None

    # ---- group law ---------------------------------------------------------------------------------------------
    def on_curve(self, p: Point) -> bool:
        if p is None:
            return True
        x, y = p
        f = self.field
        if x >> f.m or y >> f.m or x < 0 or y < 0:
            return False
        x2 = f.sqr(x)
        return f.sqr(y) ^ f.mul(x, y) == f.mul(x2, x) ^ (x2 if self.a else 0) ^ self.b

    def neg(self, p: Point) -> Point:
        return None if p is None else (p[0], p[0] ^ p[1])

    def add(self, p: Point, q: Point) -> Point:
        if p is None:
            return q
        if q is None:
            return p
        f = self.field
        x1, y1 = p
        x2, y2 = q
        if x1 == x2:
            return self.double(p) if y1 == y2 else None
        lam = f.div(y1 ^ y2, x1 ^ x2)
        x3 = f.sqr(lam) ^ lam ^ x1 ^ x2 ^ self.a
        return x3, f.mul(lam, x1 ^ x3) ^ x3 ^ y1

    def double(self, p: Point) -> Point:
        if p is None or p[0] == 0:
            return None
        f = self.field
        x1, y1 = p
        lam = x1 ^ f.div(y1, x1)
        x3 = f.sqr(lam) ^ lam ^ self.a
        return x3, f.sqr(x1) ^ f.mul(lam ^ 1, x3)

    def mul(self, k: int, p: Point) -> Point:
        """k·P for any integer k (not reduced mod n, so cofactor multiples work on any point)."""
        if k < 0:
            return self.mul(-k, self.neg(p))
        if k == 0 or p is None:
            return None
        x, y = p
        if x == 0:                       # the point of order 2
            return p if k & 1 else None
        return self._ladder(k, x, y)

    # ---- τ-adic multiplication for the prime-order subgroup ---------------------------------------------------
    def frobenius(self, p: Point) -> Point:
        return None if p is None else (self.field.sqr(p[0]), self.field.sqr(p[1]))

    def _digit_table(self, p: tuple[int, int]) -> dict:
        """±alpha_u·P for the TNAF digits, in spread form (x, y, x + y) so that negation is free."""
        f = self.field
        tp = self.frobenius(p)
        table = {}
        for u, (beta, gamma) in self._tau.alpha.items():
            q = self.add(self._small_mul(beta, p), self._small_mul(gamma, tp))
            if q is None:
                raise ArithmeticError("degenerate digit table: the point is not of order n")
            sx, sy = f.spread(q[0]), f.spread(q[1])
            table[u] = (sx, sy)
            table[-u] = (sx, sx ^ sy)
        return table

    def _small_mul(self, k: int, p: Point) -> Point:
        """k·P by affine double-and-add, for the tiny digit coefficients."""
        if k < 0:
            return self._small_mul(-k, self.neg(p))
        out = None
        for bit in bin(k)[2:]:
            out = self.double(out)
            if bit == "1":
                out = self.add(out, p)
        return out

    def base_mul(self, k: int) -> Point:
        """k·G: the τ-adic digits index a table of τ^i(±alpha_u·G), so only additions remain (no Frobenius)."""
        if self._base_table is None:
            self._base_table = self._frobenius_tables(self._digit_table(self.g))
        digits = self._tau.digits(self._tau.partial_reduce(k % self.n))
        acc = None
        for i, d in enumerate(digits):
            if d:
                acc = self._add_mixed(acc, self._base_table[i][d])
        return self._to_affine(acc)

    def _frobenius_tables(self, table: dict) -> list[dict]:
        """[τ^i(table) for i up to the longest expansion]; τ on an affine point is squaring both coordinates."""
        ssqr = self.field.ssqr
        out = [table]
        for _ in range(self.field.m + 8):
            out.append({d: (ssqr(x), ssqr(y)) for d, (x, y) in out[-1].items()})
        return out

    def mul_subgroup(self, terms: list[tuple[int, Point]]) -> Point:
        """sum(k·P) for points P of order n (or O): joint width-4 τ-adic NAF with partial reduction mod δ."""
        tau = self._tau
        expansions = [(tau.digits(tau.partial_reduce(k % self.n)), self._digit_table(p))
                      for k, p in terms if p is not None and k % self.n]
        length = max((len(d) for d, _ in expansions), default=0)
        ssqr = self.field.ssqr
        acc = None
        for i in range(length - 1, -1, -1):
            if acc is not None:
                x, y, z = acc
                acc = (ssqr(x), ssqr(y), ssqr(z))
            for digits, table in expansions:
                if i < len(digits) and digits[i]:
                    acc = self._add_mixed(acc, table[digits[i]])
        return self._to_affine(acc)

    def _to_affine(self, acc: tuple[int, int, int] | None) -> Point:
        """LD projective (X, Y, Z) in spread form -> affine (X/Z, Y/Z^2)."""
        if acc is None or acc[2] == 0:
            return None
        f = self.field
        x, y, z = (f.unspread(v) for v in acc)
        zi = f.inv(z)
        return f.mul(x, zi), f.mul(y, f.sqr(zi))

    def _add_mixed(self, p: tuple[int, int, int] | None, q: tuple[int, int]) -> tuple[int, int, int] | None:
        """LD projective P + affine Q (Guide to ECC Alg. 3.25), spread form; None is O."""
        x2, y2 = q
        if p is None:
            return x2, y2, self.field.spread(1)
        f = self.field
        smul, ssqr = f.smul, f.ssqr
        x1, y1, z1 = p
        if z1 == 0:
            return x2, y2, f.spread(1)
        t2 = ssqr(z1)
        x3 = x1 ^ smul(z1, x2)
        t1 = smul(z1, x3)
        y3 = y1 ^ smul(t2, y2)
        if x3 == 0:
            if y3 != 0:
                return None
            d = self.double((f.unspread(x2), f.unspread(y2)))
            return None if d is None else (f.spread(d[0]), f.spread(d[1]), f.spread(1))
        z3 = ssqr(t1)
        t3 = smul(t1, y3)
        if self.a == 1:
            t1 ^= t2
        x3 = smul(ssqr(x3), t1) ^ ssqr(y3) ^ t3
        t2 = smul(x2, z3) ^ x3
        t1 = ssqr(z3)
        y3 = smul(t3 ^ z3, t2) ^ smul(t1, x2 ^ y2)
        return x3, y3, z3

    def _ladder(self, k: int, x: int, y: int) -> Point:
        f = self.field
        smul, ssqr = f.smul, f.ssqr
        sx = f.spread(x)
        sb = self._sb
        x1, z1 = sx, f.spread(1)
        z2 = ssqr(sx)
        x2 = ssqr(z2) ^ sb
        for i in range(k.bit_length() - 2, -1, -1):
            if (k >> i) & 1:
                t1, t2 = smul(x1, z2), smul(x2, z1)
                z1 = ssqr(t1 ^ t2)
                x1 = smul(sx, z1) ^ smul(t1, t2)
                xx, zz = ssqr(x2), ssqr(z2)
                z2 = smul(xx, zz)
                x2 = ssqr(xx) ^ smul(sb, ssqr(zz)) if self.b != 1 else ssqr(xx) ^ ssqr(zz)
            else:
                t1, t2 = smul(x2, z1), smul(x1, z2)
                z2 = ssqr(t1 ^ t2)
                x2 = smul(sx, z2) ^ smul(t1, t2)
                xx, zz = ssqr(x1), ssqr(z1)
                z1 = smul(xx, zz)
                x1 = ssqr(xx) ^ smul(sb, ssqr(zz)) if self.b != 1 else ssqr(xx) ^ ssqr(zz)
        X1, Z1, X2, Z2 = (f.unspread(v) for v in (x1, z1, x2, z2))
        if Z1 == 0:
            return None
        if Z2 == 0:
            return x, x ^ y
        mul = f.mul
        xz1, xz2 = mul(x, Z1), mul(x, Z2)
        inv = f.inv(mul(xz1, Z2))
        xk = mul(mul(X1, xz2), inv)
        t = mul(X1 ^ xz1, X2 ^ xz2) ^ mul(f.sqr(x) ^ y, mul(Z1, Z2))
        yk = mul(mul(x ^ xk, t), inv) ^ y
        return xk, yk

    # ---- encodings ---------------------------------------------------------------------------------------------
    def compress(self, p: Point) -> bytes:
        """SEC1 compressed point: 02|03 then x big-endian (fixed width)."""
        if p is None:
            raise ValueError("the point at infinity has no compressed form here")
        x, y = p
        ybit = 0 if x == 0 else self.field.mul(y, self.field.inv(x)) & 1
        return bytes([2 | ybit]) + x.to_bytes(self.octets, "big")

    def decompress(self, data: bytes, field: str = "point") -> tuple[int, int]:
        """Parse a compressed point; InputError (naming `field`) when malformed or not on the curve."""
        if len(data) != self.point_octets:
            raise InputError(f"compressed {self.name} point must be {self.point_octets} octets, got {len(data)}",
                             field=field)
        if data[0] not in (2, 3):
            raise InputError(f"compressed point prefix must be 02 or 03, got {data[0]:02X}", field=field, offset=0)
        f = self.field
        x = int.from_bytes(data[1:], "big")
        if x >> f.m:
            raise InputError("x coordinate is not a field element", field=field, offset=1)
        if x == 0:
            return 0, f.sqrt(self.b)
        beta = x ^ self.a ^ f.mul(self.b, f.sqr(f.inv(x)))
        z = f.half_trace(beta)
        if f.sqr(z) ^ z != beta:
            raise InputError("point is not on the curve", field=field)
        if (z & 1) != (data[0] & 1):
            z ^= 1
        return x, f.mul(x, z)


SECT163K1 = Curve(
    "sect163k1", BinaryField(163, (7, 6, 3, 0)), 1, 1,
    0x02FE13C0537BBC11ACAA07D793DE4E6D5E5C94EEE8, 0x0289070FB05D38FF58321F2E800536D538CCDAA3D9,
    0x04000000000000000000020108A2E0CC0D99F8A5EF, 2)

SECT283K1 = Curve(
    "sect283k1", BinaryField(283, (12, 7, 5, 0)), 0, 1,
    0x0503213F78CA44883F1A3B8162F188E553CD265F23C1567A16876913B0C2AC2458492836,
    0x01CCDA380F1C9E318D90F95D07E5426FE87E45C0E8184698E45962364E34116177DD2259,
    0x01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE9AE2ED07577265DFF7F94451E061E163C61, 4)
