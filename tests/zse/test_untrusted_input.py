"""Untrusted bytes never crash the codecs or the KE machines: they give InputError or a Terminate."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.zse import certificate, ecqv
from harness.zse import frame_security as fs
from harness.zse import ke_frames as kf
from harness.zse.ke import Credentials, Initiator, Responder
from harness.zse.bench_ca import BenchCA

CA = BenchCA(1, seed=b"fuzz")
EUI_U, EUI_V = bytes(range(1, 9)), bytes(range(11, 19))
ID_U, ID_V = CA.issue(EUI_U), CA.issue(EUI_V)


def _machines():
    ini = Initiator(EUI_U, EUI_V, [Credentials(1, ID_U.cert_bytes, ID_U.private_key, CA.public_key)], 0b01)
    rsp = Responder(EUI_V, EUI_U, [Credentials(1, ID_V.cert_bytes, ID_V.private_key, CA.public_key)])
    return ini, rsp


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=90), st.integers(0, 2))
def test_ke_machines_survive_garbage(raw, steps):
    ini, rsp = _machines()
    to_v = ini.start()
    for _ in range(steps):          # advance the genuine exchange a little before the garbage arrives
        to_u = [f for frame in to_v for f in rsp.receive(frame)]
        to_v = [f for frame in to_u for f in ini.receive(frame)]
    for machine in (ini, rsp):
        out = machine.receive(raw)
        for frame in out:
            assert isinstance(kf.decode(frame).command, (kf.Terminate, kf.Initiate, kf.EphemeralData, kf.ConfirmKey))
        if machine.done and machine.key is None:
            assert machine.status is not None


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=90))
def test_ke_frame_decode(raw):
    try:
        frame = kf.decode(raw)
    except InputError as exc:
        assert exc.field
    else:
        assert kf.decode(frame.encode()) == frame


CA2 = BenchCA(2, seed=b"fuzz")


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(min_size=48, max_size=48), st.binary(min_size=74, max_size=74)))
def test_certificate_garbage(raw):
    cert = certificate.decode(raw)
    assert cert.encode() == raw
    ca = CA if cert.suite == 1 else CA2
    try:
        q = ecqv.reconstruct(cert, ca.public_point)
    except InputError as exc:
        assert exc.field == "reconstruction"
    else:
        assert ca.curve.on_curve(q)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=60), st.integers(0, 70))
def test_unsecure_garbage(raw, header_len):
    try:
        fs.unsecure(bytes(16), raw, header_len, source=bytes(8))
    except InputError as exc:
        assert exc.field
