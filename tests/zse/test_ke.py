"""CBKE vectors, KE frame codecs, and initiator/responder state machines with every failure path."""
from __future__ import annotations

import json

import pytest

from harness.errors import InputError
from harness.zse import cbke, certificate
from harness.zse import ke_frames as kf
from harness.zse.ke import Config, Credentials, Initiator, Responder
from harness.zse.ke_frames import Status
from harness.zse.suites import SUITE1, SUITE2, negotiate
from harness.zse.bench_ca import BENCH_ISSUER, BenchCA

EUI_U = bytes.fromhex("0A0B0C0D0E0F1012")
EUI_V = bytes.fromhex("0A0B0C0D0E0F1011")


@pytest.fixture
def vectors(shared):
    return json.loads(shared("vectors", "cbke.json").read_text())


@pytest.mark.parametrize("suite", [1, 2])
@pytest.mark.parametrize("role", ["initiator", "responder"])
def test_annex_derivation(vectors, suite, role):
    v = vectors[f"suite{suite}"]
    curve = {1: SUITE1, 2: SUITE2}[suite].curve
    me, peer = (v["initiator_u"], v["responder_v"]) if role == "initiator" else (v["responder_v"], v["initiator_u"])
    d_e = int(me["ephemeral_private"], 16)
    q_e = curve.mul(d_e, curve.g)
    assert curve.compress(q_e).hex().upper() == me["ephemeral_public"]
    out = cbke.derive(curve, role, d_static=int(me["static_private"], 16), d_eph=d_e, q_eph=q_e,
                      own_id=bytes.fromhex(me["eui64"]), peer_static=curve.decompress(bytes.fromhex(peer["static_public"])),
                      peer_eph=curve.decompress(bytes.fromhex(peer["ephemeral_public"])),
                      peer_id=bytes.fromhex(peer["eui64"]))
    assert out.shared_secret.hex().upper() == v["shared_secret_z"]
    assert out.mac_key.hex().upper() == v["mac_key"]
    assert out.key_data.hex().upper() == v["key_data"]
    assert out.mac_u.hex().upper() == v["mac_u"]
    assert out.mac_v.hex().upper() == v["mac_v"]


def run(ini: Initiator, rsp: Responder, now: float | None = None, tamper=None) -> list[bytes]:
    """Shuttle frames until both are quiet; `tamper(frame) -> frame` edits responder-bound frames."""
    log = []
    to_v = ini.start(now)
    while to_v:
        log += to_v
        to_u = []
        for frame in to_v:
            to_u += rsp.receive(tamper(frame) if tamper else frame, now)
        log += to_u
        to_v = [f for frame in to_u for f in ini.receive(frame, now)]
    return log


def test_annex_exchange_through_state_machines(vectors):
    """Machines loaded with the annex keys agree on the annex link key and send the annex MACs."""
    for number, s in ((1, SUITE1), (2, SUITE2)):
        v = vectors[f"suite{number}"]
        u, w = v["initiator_u"], v["responder_v"]
        cred_u = Credentials(number, bytes.fromhex(u["certificate"]), int(u["static_private"], 16),
                             bytes.fromhex(v["ca_public_key"]))
        cred_v = Credentials(number, bytes.fromhex(w["certificate"]), int(w["static_private"], 16),
                             bytes.fromhex(v["ca_public_key"]))
        ini = Initiator(bytes.fromhex(u["eui64"]), bytes.fromhex(w["eui64"]), [cred_u], s.bit,
                        Config(ephemeral_keys={number: int(u["ephemeral_private"], 16)}))
        rsp = Responder(bytes.fromhex(w["eui64"]), bytes.fromhex(u["eui64"]), [cred_v],
                        Config(ephemeral_keys={number: int(w["ephemeral_private"], 16)}))
        log = run(ini, rsp)
        assert ini.key.hex().upper() == rsp.key.hex().upper() == v["key_data"]
        frames = [kf.decode(f) for f in log]
        assert [type(f.command).__name__ for f in frames] == ["Initiate", "Initiate", "EphemeralData",
                                                               "EphemeralData", "ConfirmKey", "ConfirmKey"]
        assert [f.from_server for f in frames] == [False, True] * 3
        assert [f.tsn for f in frames] == [0, 0, 1, 1, 2, 2]
        assert frames[4].command.mac.hex().upper() == v["mac_u"]
        assert frames[5].command.mac.hex().upper() == v["mac_v"]
        assert frames[2].command.point.hex().upper() == u["ephemeral_public"]


def _pair(suite: int, *, flaw_u=None, flaw_v=None, config_u=None, config_v=None, ca_v=None, suites_v=None,
          partner_suites=None):
    ca = BenchCA(suite, seed=b"ke tests")
    ident_u = ca.issue(EUI_U, flaw=flaw_u)
    ident_v = (ca_v or ca).issue(EUI_V, flaw=flaw_v)
    ini = Initiator(EUI_U, EUI_V, [Credentials(suite, ident_u.cert_bytes, ident_u.private_key, ca.public_key)],
                    partner_suites if partner_suites is not None else 1 << (suite - 1), config_u)
    creds_v = [Credentials(s, ident_v.cert_bytes, ident_v.private_key, ca.public_key) for s in (suites_v or [suite])]
    rsp = Responder(EUI_V, EUI_U, creds_v, config_v)
    return ini, rsp


@pytest.mark.parametrize("suite", [1, 2])
def test_fresh_certificates_full_exchange(suite):
    ini, rsp = _pair(suite)
    run(ini, rsp, now=1_700_000_100)
    assert ini.done and rsp.done
    assert ini.key is not None and ini.key == rsp.key and len(ini.key) == 16
    assert ini.status is None and rsp.status is None
    assert ini.partner == EUI_V and rsp.partner == EUI_U


def _terminates(log: list[bytes]) -> list[int]:
    return [kf.decode(f).command.status for f in log if kf.decode(f).command.command == kf.CMD_TERMINATE]


def _assert_failed(ini, rsp, log, status, *, sender="responder"):
    assert ini.key is None and rsp.key is None
    assert ini.done and rsp.done
    assert ini.status == rsp.status == status
    assert _terminates(log) == [status]
    assert (rsp if sender == "responder" else ini).peer_terminated is False
    assert (ini if sender == "responder" else rsp).peer_terminated is True


@pytest.mark.parametrize("flaw,status", [
    ("wrong_issuer", Status.UNKNOWN_ISSUER), ("wrong_subject", Status.INVALID_CERTIFICATE),
    ("wrong_key_usage", Status.INVALID_CERTIFICATE), ("expired", Status.INVALID_CERTIFICATE),
    ("bad_point", Status.INVALID_CERTIFICATE), ("wrong_type", Status.INVALID_CERTIFICATE),
    ("wrong_curve", Status.INVALID_CERTIFICATE), ("wrong_hash", Status.INVALID_CERTIFICATE)])
def test_responder_rejects_bad_initiator_certificate(flaw, status):
    ini, rsp = _pair(2, flaw_u=flaw)
    log = run(ini, rsp, now=1_700_000_000 + 86400)
    _assert_failed(ini, rsp, log, status)


@pytest.mark.parametrize("flaw,status", [("wrong_issuer", Status.UNKNOWN_ISSUER),
                                         ("wrong_subject", Status.INVALID_CERTIFICATE),
                                         ("bad_point", Status.INVALID_CERTIFICATE)])
def test_initiator_rejects_bad_responder_certificate(flaw, status):
    ini, rsp = _pair(1, flaw_v=flaw, config_v=Config(trusted_issuers=(BENCH_ISSUER,)))
    log = run(ini, rsp)
    _assert_failed(ini, rsp, log, status, sender="initiator")


def test_unknown_ca_is_unknown_issuer():
    ini, rsp = _pair(1, ca_v=BenchCA(1, seed=b"rogue", issuer=b"ROGUECA!"),
                     config_v=Config(trusted_issuers=(BENCH_ISSUER,)))
    _assert_failed(ini, rsp, run(ini, rsp), Status.UNKNOWN_ISSUER, sender="initiator")


def test_extra_trusted_issuer_is_accepted_but_key_must_still_verify():
    rogue = BenchCA(1, seed=b"rogue", issuer=b"ROGUECA!")
    ini, rsp = _pair(1, ca_v=rogue, config_u=Config(trusted_issuers=(b"ROGUECA!",)),
                     config_v=Config(trusted_issuers=(BENCH_ISSUER,)))
    log = run(ini, rsp)   # issuer trusted, but reconstructed with our CA key: the MACs cannot match
    _assert_failed(ini, rsp, log, Status.BAD_KEY_CONFIRM)


def test_mac_mismatch_is_bad_key_confirm():
    ini, rsp = _pair(1)

    def flip_macu(frame: bytes) -> bytes:
        return frame[:-1] + bytes([frame[-1] ^ 1]) if frame[2] == kf.CMD_CONFIRM else frame
    log = run(ini, rsp, tamper=flip_macu)
    _assert_failed(ini, rsp, log, Status.BAD_KEY_CONFIRM)


def test_bad_macv_is_bad_key_confirm_at_initiator():
    ini, rsp = _pair(1)
    to_v = ini.start()
    to_u = rsp.receive(to_v[0])
    to_v = ini.receive(to_u[0])
    to_u = rsp.receive(to_v[0])
    to_v = ini.receive(to_u[0])
    confirm_v = rsp.receive(to_v[0])[0]
    assert rsp.key is not None
    out = ini.receive(confirm_v[:-1] + bytes([confirm_v[-1] ^ 0x80]))
    assert ini.key is None and ini.status == Status.BAD_KEY_CONFIRM and _terminates(out) == [Status.BAD_KEY_CONFIRM]


def test_unsupported_suite_and_negotiation():
    assert negotiate(0b11, 0b11) is SUITE2 and negotiate(0b01, 0b11) is SUITE1 and negotiate(0b10, 0b01) is None
    ini, rsp = _pair(2, suites_v=[2], partner_suites=0b01)
    assert ini.start() == [] and ini.status == Status.UNSUPPORTED_SUITE and ini.key is None
    _, rsp = _pair(1, suites_v=[1])
    req = kf.Frame(0, False, kf.Initiate(2, 5, 5, bytes(74))).encode()
    out = rsp.receive(req)
    assert rsp.status == Status.UNSUPPORTED_SUITE and _terminates(out) == [Status.UNSUPPORTED_SUITE]
    _, rsp = _pair(1)
    out = rsp.receive(kf.Frame(0, False, kf.Initiate(3, 5, 5, bytes(48))).encode())
    assert rsp.status == Status.BAD_MESSAGE and _terminates(out) == [Status.BAD_MESSAGE]


def test_responder_picks_what_initiator_asked():
    ini, rsp = _pair(1, suites_v=[1], partner_suites=0b11)
    run(ini, rsp)
    assert ini.suite is SUITE1 and ini.key == rsp.key is not None


def test_out_of_order_is_bad_message():
    ini, rsp = _pair(1)
    out = rsp.receive(kf.Frame(1, False, kf.ConfirmKey(bytes(16))).encode())
    assert rsp.status == Status.BAD_MESSAGE and _terminates(out) == [Status.BAD_MESSAGE] and rsp.key is None
    ini, rsp = _pair(1)
    ini.start()
    out = ini.receive(kf.Frame(0, True, kf.EphemeralData(bytes(22))).encode())
    assert ini.status == Status.BAD_MESSAGE and _terminates(out) == [Status.BAD_MESSAGE]
    ini, rsp = _pair(1)
    ini.start()
    out = ini.receive(kf.Frame(0, False, kf.Initiate(1, 5, 5, bytes(48))).encode())   # wrong direction
    assert ini.status == Status.BAD_MESSAGE


def test_bad_ephemeral_point_is_bad_message():
    ini, rsp = _pair(1)
    to_v = ini.start()
    ini.receive(rsp.receive(to_v[0])[0])
    out = rsp.receive(kf.Frame(2, False, kf.EphemeralData(b"\x05" + bytes(21))).encode())
    assert rsp.status == Status.BAD_MESSAGE and _terminates(out) == [Status.BAD_MESSAGE] and rsp.key is None


def test_small_order_ephemeral_point_is_bad_message():
    ini, rsp = _pair(1)
    ini.receive(rsp.receive(ini.start()[0])[0])
    out = rsp.receive(kf.Frame(2, False, kf.EphemeralData(b"\x02" + bytes(21))).encode())   # (0, 1): order 2
    assert rsp.status == Status.BAD_MESSAGE and _terminates(out) == [Status.BAD_MESSAGE] and rsp.key is None


def test_malformed_frame_is_bad_message():
    _, rsp = _pair(1)
    out = rsp.receive(b"\x01\x00")
    assert rsp.status == Status.BAD_MESSAGE and _terminates(out) == [Status.BAD_MESSAGE]


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_timeouts(stage):
    ini, rsp = _pair(1, config_u=Config(allowance=2), config_v=Config(ephemeral_time=4, confirm_time=6,
                                                                       allowance=3))
    t = 100.0
    to_v = ini.start(t)
    to_u = rsp.receive(to_v[0], t)              # responder now waits 11 + 3 s for the Ephemeral Data Request
    if stage == 1:
        assert rsp.poll(t + 14) == [] and not rsp.done
        assert rsp.poll(t + 14.5) == [] and rsp.done and rsp.timed_out and rsp.key is None
        return
    to_v = ini.receive(to_u[0], t)              # initiator waits responder's 4 s + 2 s
    if stage == 2:
        ini.poll(t + 6)
        assert not ini.done
        ini.poll(t + 6.1)
        assert ini.done and ini.timed_out and ini.key is None
        assert rsp.receive(to_v[0], t + 7) and rsp.poll(t + 7 + 16 + 3 + 0.1) == [] and rsp.timed_out
        return
    to_u = rsp.receive(to_v[0], t)
    ini.receive(to_u[0], t)                     # initiator now waits 6 + 2 s for Confirm Key Response
    ini.poll(t + 8.5)
    assert ini.timed_out and ini.key is None
    assert ini.receive(kf.Frame(0, True, kf.ConfirmKey(bytes(16))).encode()) == []   # finished: ignored


def test_partner_terminate_is_recorded_without_reply():
    ini, _ = _pair(1)
    ini.start()
    out = ini.receive(kf.Frame(0, True, kf.Terminate(Status.NO_RESOURCES, 30, 1)).encode())
    assert out == [] and ini.status == Status.NO_RESOURCES and ini.peer_terminated and ini.key is None
    assert ini.peer_wait_time == 30


def test_frame_codec_round_trip_and_errors():
    frames = [kf.Frame(7, False, kf.Initiate(2, 11, 16, bytes(74))), kf.Frame(8, True, kf.EphemeralData(bytes(37))),
              kf.Frame(9, False, kf.ConfirmKey(bytes(16))), kf.Frame(1, True, kf.Terminate(3, 30, 3), True)]
    for frame in frames:
        assert kf.decode(frame.encode()) == frame
    assert kf.Frame(7, False, kf.Initiate(2, 11, 16, bytes(74))).encode()[:7] == bytes.fromhex("0107000200" "0B10")
    assert kf.Frame(5, True, kf.Terminate(1, 30, 2), True).encode() == bytes.fromhex("1905030" "11E0200")
    for raw, field in ((b"\x01\x00\x09", "command_id"), (b"\x01\x00\x00\x02\x00\x0b\x10" + bytes(48), "certificate"),
                       (b"\x00\x00\x00", "frame_control"), (b"\x05\x00\x00", "frame_control"),
                       (b"\x01\x00\x02" + bytes(15), "mac"), (b"\x09\x00\x03\x01", "terminate"),
                       (b"\x01\x00\x01" + bytes(30), "ephemeral_data")):
        with pytest.raises(InputError) as err:
            kf.decode(raw)
        assert err.value.field == field


def test_certificate_field_lengths_checked():
    with pytest.raises(InputError) as err:
        certificate.Suite1Certificate(bytes(21), bytes(8), bytes(8), bytes(10))
    assert err.value.field == "reconstruction"


def test_ke_server_one_session_at_a_time():
    from harness.zse.ke_server import KeServer

    ca = BenchCA(1, seed=b"server")
    ident_v = ca.issue(EUI_V)
    server = KeServer(EUI_V, [Credentials(1, ident_v.cert_bytes, ident_v.private_key, ca.public_key)],
                      busy_wait_time=45)
    other = bytes.fromhex("0A0B0C0D0E0F1013")
    machines = {}
    for eui in (EUI_U, other):
        ident = ca.issue(eui)
        machines[eui] = Initiator(eui, EUI_V, [Credentials(1, ident.cert_bytes, ident.private_key, ca.public_key)],
                                  0b01)
    first = server.receive(EUI_U, machines[EUI_U].start()[0])
    assert server.busy and len(first) == 1
    busy = server.receive(other, machines[other].start()[0])
    term = kf.decode(busy[0]).command
    assert (term.status, term.wait_time) == (Status.NO_RESOURCES, 45)
    machines[other].receive(busy[0])
    assert machines[other].status == Status.NO_RESOURCES and machines[other].key is None
    to_v = machines[EUI_U].receive(first[0])
    while to_v:
        to_v = [f for frame in to_v for r in server.receive(EUI_U, frame) for f in machines[EUI_U].receive(r)]
    assert server.keys == {EUI_U: machines[EUI_U].key} and not server.busy
    ident = ca.issue(other)
    retry = Initiator(other, EUI_V, [Credentials(1, ident.cert_bytes, ident.private_key, ca.public_key)], 0b01)
    reply = server.receive(other, retry.start()[0])            # free again: the other partner is served
    assert isinstance(kf.decode(reply[0]).command, kf.Initiate) and server.session.partner == other
