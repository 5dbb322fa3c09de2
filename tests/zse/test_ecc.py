"""GF(2^m) and curve arithmetic against the slow reference (hypothesis) and the curve parameters."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.zse.curves import SECT163K1, SECT283K1

from .reference import REF163, REF283

CASES = [(SECT163K1, REF163), (SECT283K1, REF283)]
IDS = ["sect163k1", "sect283k1"]


@pytest.mark.parametrize("curve,ref", CASES, ids=IDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_field_mul_sqr_inv(curve, ref, data):
    f = curve.field
    a = data.draw(st.integers(1, (1 << f.m) - 1))
    b = data.draw(st.integers(0, (1 << f.m) - 1))
    assert f.mul(a, b) == ref.f.mul(a, b)
    assert f.sqr(a) == ref.f.mul(a, a)
    inv = f.inv(a)
    assert inv == ref.f.inv(a)
    assert f.mul(a, inv) == 1
    assert f.sqr(f.sqrt(a)) == a
    z = f.half_trace(a)
    assert (f.sqr(z) ^ z == a) == (f.trace(a) == 0)


@pytest.mark.parametrize("curve", [SECT163K1, SECT283K1], ids=IDS)
def test_zero_has_no_inverse(curve):
    with pytest.raises(ZeroDivisionError):
        curve.field.inv(0)


@pytest.mark.parametrize("curve", [SECT163K1, SECT283K1], ids=IDS)
def test_base_point_order_and_cofactor(curve):
    assert curve.on_curve(curve.g)
    assert curve.mul(curve.n, curve.g) is None
    assert curve.mul(curve.n - 1, curve.g) == curve.neg(curve.g)
    assert curve.mul(curve.n + 1, curve.g) == curve.g
    two_torsion = (0, curve.field.sqrt(curve.b))
    assert curve.on_curve(two_torsion) and curve.double(two_torsion) is None
    assert curve.mul(curve.h * curve.n, two_torsion) is None
    assert curve.mul(3, two_torsion) == two_torsion


@pytest.mark.parametrize("curve,ref", CASES, ids=IDS)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_scalar_mul_matches_reference(curve, ref, data):
    k = data.draw(st.integers(1, curve.h * curve.n))
    j = data.draw(st.integers(1, curve.n - 1))
    p = curve.mul(j, curve.g)
    assert p == ref.mul(j, curve.g)
    assert curve.on_curve(p)
    assert curve.mul(k, p) == ref.mul(k, p)
    assert curve.add(p, curve.g) == ref.add(p, curve.g)
    assert curve.double(p) == ref.add(p, p)


@pytest.mark.parametrize("curve", [SECT163K1, SECT283K1], ids=IDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_compression_round_trip(curve, data):
    p = curve.mul(data.draw(st.integers(1, curve.n - 1)), curve.g)
    for q in (p, curve.neg(p)):
        raw = curve.compress(q)
        assert len(raw) == curve.point_octets
        assert curve.decompress(raw) == q


@pytest.mark.parametrize("curve", [SECT163K1, SECT283K1], ids=IDS)
def test_decompress_rejects_bad_points(curve):
    f = curve.field
    x = next(x for x in range(2, 100) if f.trace(x ^ curve.a ^ f.mul(curve.b, f.sqr(f.inv(x)))))
    for raw, what in ((b"\x02" + x.to_bytes(curve.octets, "big"), "not on the curve"),
                      (b"\x04" + bytes(curve.octets), "prefix"),
                      (b"\x02" + bytes(curve.octets - 1), "octets"),
                      (b"\x02" + b"\xff" * curve.octets, "field element")):
        with pytest.raises(InputError) as err:
            curve.decompress(raw, field="peer")
        assert err.value.field == "peer" and what in str(err.value)


@pytest.mark.parametrize("curve,ref", CASES, ids=IDS)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_tau_adic_multiplication_matches_reference(curve, ref, data):
    k = data.draw(st.integers(0, 2 * curve.n))
    j = data.draw(st.integers(1, curve.n - 1))
    l = data.draw(st.integers(1, curve.n - 1))
    p = curve.mul(j, curve.g)
    assert curve.base_mul(k) == ref.mul(k % curve.n, curve.g)
    assert curve.mul_subgroup([(k, p), (l, curve.g)]) == ref.add(ref.mul(k % curve.n, p), ref.mul(l, curve.g))


@pytest.mark.parametrize("curve", [SECT163K1, SECT283K1], ids=IDS)
def test_tau_adic_edge_cases(curve):
    p = curve.mul(12345, curve.g)
    assert curve.mul_subgroup([(1, p), (1, p)]) == curve.double(p)          # mixed addition hits P + P
    assert curve.mul_subgroup([(7, p), (curve.n - 7, p)]) is None         # and P + (-P)
    assert curve.mul_subgroup([(5, None), (curve.n, p)]) is None
    assert curve.base_mul(curve.n - 1) == curve.neg(curve.g)
    assert curve.frobenius(p) == (curve.field.sqr(p[0]), curve.field.sqr(p[1]))
    assert curve.on_curve(curve.frobenius(p))
