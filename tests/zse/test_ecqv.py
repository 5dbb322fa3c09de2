"""Certificates (both formats), ECQV reconstruction, the bench CA and its deliberately bad certificates."""
from __future__ import annotations

import json

import pytest

from harness.errors import InputError
from harness.zse import certificate, ecqv
from harness.zse.bench_ca import FLAWS, BenchCA


@pytest.fixture
def vectors(shared):
    return json.loads(shared("vectors", "cbke.json").read_text())


@pytest.mark.parametrize("suite", [1, 2])
@pytest.mark.parametrize("who", ["initiator_u", "responder_v"])
def test_annex_certificates(vectors, suite, who):
    v = vectors[f"suite{suite}"]
    raw = bytes.fromhex(v[who]["certificate"])
    cert = certificate.decode(raw)
    assert cert.suite == suite and cert.encode() == raw
    assert cert.subject.hex().upper() == v[who]["eui64"]
    assert ecqv.reconstruct_bytes(cert, bytes.fromhex(v["ca_public_key"])).hex().upper() == v[who]["static_public"]
    curve = {1: 22, 2: 37}[suite]
    assert len(cert.reconstruction) == curve


def test_suite2_fields_decoded(vectors):
    cert = certificate.decode(bytes.fromhex(vectors["suite2"]["responder_v"]["certificate"]))
    assert (cert.cert_type, cert.curve, cert.hash, cert.key_usage) == (0, 0x0D, 0x08, 0x88)
    assert cert.serial == bytes.fromhex("2622A505E8938F27")
    assert cert.issuer == bytes.fromhex("1112131415161718")
    assert cert.valid_from == 0x005292A35B and cert.expires is None
    assert cert.valid_at(2_000_000_000) and not cert.valid_at(0x005292A35B - 1)


def test_suite1_fields_decoded(vectors):
    cert = certificate.decode(bytes.fromhex(vectors["suite1"]["initiator_u"]["certificate"]))
    assert cert.issuer == b"TESTSECA" and cert.profile_id == 0x0109


def test_decode_rejects_bad_lengths():
    with pytest.raises(InputError) as err:
        certificate.decode(bytes(47))
    assert err.value.field == "certificate"
    with pytest.raises(InputError):
        certificate.decode(bytes(48), suite=2)


@pytest.mark.parametrize("suite", [1, 2])
def test_bench_ca_issues_good_certificates(suite):
    ca = BenchCA(suite, seed="unit")
    ident = ca.issue(bytes.fromhex("0011223344556677"))
    cert = certificate.decode(ident.cert_bytes)
    assert cert.subject == bytes.fromhex("0011223344556677") and cert.issuer == ca.issuer
    assert ecqv.reconstruct(cert, ca.public_point) == ident.public_key
    assert ca.curve.mul(ident.private_key, ca.curve.g) == ident.public_key
    again = BenchCA(suite, seed="unit").issue(bytes.fromhex("0011223344556677"))
    assert again == ident                                            # deterministic from the seed
    assert BenchCA(suite, seed="other").public_key != ca.public_key


def test_bench_ca_flaws():
    ca = BenchCA(2, seed="flaws")
    eui = bytes.fromhex("0011223344556677")
    made = {flaw: certificate.decode(ca.issue(eui, flaw=flaw).cert_bytes) for flaw in FLAWS}
    assert made["wrong_issuer"].issuer != ca.issuer
    assert made["wrong_subject"].subject != eui
    assert not made["expired"].valid_at(1_700_000_000 + 86400)
    with pytest.raises(InputError) as err:
        ecqv.check_fields(made["wrong_key_usage"])
    assert err.value.field == "key_usage"
    for flaw, field in (("wrong_type", "type"), ("wrong_curve", "curve"), ("wrong_hash", "hash")):
        with pytest.raises(InputError) as err:
            ecqv.check_fields(made[flaw])
        assert err.value.field == field
    with pytest.raises(InputError) as err:
        ecqv.reconstruct(made["bad_point"], ca.public_point)
    assert err.value.field == "reconstruction"
    with pytest.raises(ValueError):
        BenchCA(1).issue(eui, flaw="expired")
