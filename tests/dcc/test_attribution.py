"""Verdict attribution, one rule per case: what the device under test sent (or did not send) is FAIL naming the
rule; what the rig or the bench did is ERROR. Driven through the DCC's HAN services with a test-side CHF."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from dcc_fixtures import ACB, CHF, SUPPLIER, Device

from harness.dcc.han import CS14, HanServices
from harness.dcc.smi import Smi
from harness.errors import BoardLost, ConformanceFailure, InputError
from harness.gbcs.dlms import Data, DlmsPayload
from harness.verdicts import Verdict, classify, from_device
from rig.clock import VirtualClock

ESME_EUI = bytes.fromhex("00DB1234567890A0")
SUCCESS = DlmsPayload(0xDA, 1, b"", data=[Data(0x00)] * 3, results=[(3, 0), (2, 0), (2, 0)]).encode()


def verdict(action: Callable[[], object]) -> Verdict:
    """The verdict a test body doing `action` would get."""
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - the point is to see what any exception is judged to be
        return classify(exc, "call").verdict
    return Verdict.PASS


def cs14_payload(devices: list[bytes]) -> bytes:
    entries = [Data(0x02, [Data(0x09, d), Data(0x09, bytes(16))]) for d in devices]
    body = Data(0x02, [Data(0x12, 0x8F12), Data(0x09, bytes(12)),
                       Data(0x02, [Data(0x09, bytes(12)), Data(0x09, CHF), Data(0x01, entries)])])
    return DlmsPayload(0x0F, 1, b"", data=[body]).encode()


@pytest.fixture
def services(bench_core) -> Callable[[Callable[[Any], bytes | None]], HanServices]:
    """HanServices whose CHF answers each command with `answer(command header)`."""
    def make(answer: Callable[[Any], bytes | None]) -> HanServices:
        smi = Smi()
        smi.prenotify(ESME_EUI, "esme", 0.0)
        transport = lambda data: answer(bench_core.outstanding[-1].header)  # noqa: E731
        return HanServices(bench_core, smi, VirtualClock(), transport, SUPPLIER)
    return make


@pytest.fixture
def chf(bench_keys) -> Device:
    return Device(bench_keys, CHF)


def add(han: HanServices):
    return han.add_device(CHF, ESME_EUI, bytes(16), 60)


def test_a_good_response_passes(services, chf):
    han = services(lambda command: chf.respond(command, SUCCESS, critical=False))
    response = add(han)
    assert response.ok, response


def test_a_bad_mac_from_the_device_is_fail_naming_the_rule(services, chf):
    def answer(command):
        good = chf.respond(command, SUCCESS, critical=False)
        return good[:-1] + bytes([good[-1] ^ 1])
    han = services(answer)
    with pytest.raises(ConformanceFailure, match="CCS01 response breaks GBCS response rules.*bad MAC"):
        add(han)
    assert verdict(lambda: add(han)) is Verdict.FAIL


def test_a_malformed_response_payload_from_the_device_is_fail(services, chf):
    han = services(lambda command: chf.respond(command, b"\x05\x00", critical=False))
    assert verdict(lambda: add(han)) is Verdict.FAIL


def test_a_missing_response_is_the_tests_fail(services):
    han = services(lambda command: None)
    response = add(han)
    assert not response.ok and response.detail == "no CCS01 response"


def test_a_decoder_bug_in_rig_code_is_error(services, chf, monkeypatch):
    han = services(lambda command: chf.respond(command, SUCCESS, critical=False))

    def broken(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'value'")
    monkeypatch.setattr(DlmsPayload, "decode", broken)
    assert verdict(lambda: add(han)) is Verdict.ERROR


def test_a_lost_board_is_error(services):
    def lost(command):
        raise BoardLost("chf: the board stopped answering")
    assert verdict(lambda: add(services(lost))) is Verdict.ERROR


def test_a_bad_alert_mac_is_fail_at_check(services, chf):
    han = services(lambda command: None)
    good = chf.alert(1, ACB, critical=False, code=CS14, payload=cs14_payload([ESME_EUI]))
    han.on_alert(good[:-1] + bytes([good[-1] ^ 1]))
    assert han.cs14 == [] and len(han.violations) == 1
    assert verdict(han.check) is Verdict.FAIL


def test_a_malformed_cs14_is_fail_and_a_good_one_is_read(services, chf):
    han = services(lambda command: None)
    han.on_alert(chf.alert(1, ACB, critical=False, code=CS14, payload=cs14_payload([ESME_EUI])))
    assert [listed for _, listed in han.cs14] == [[ESME_EUI]] and verdict(han.check) is Verdict.PASS
    han.on_alert(chf.alert(2, ACB, critical=False, code=CS14, payload=cs14_payload([ESME_EUI])[:-3]))
    with pytest.raises(ConformanceFailure, match="CS14 breaks BAD 7.2.1.6.7"):
        han.check()


def test_from_device_blames_only_input_errors():
    with pytest.raises(ConformanceFailure, match="frame breaks rule X: field: short"):
        with from_device("frame", "rule X"):
            raise InputError("short", field="field")
    with pytest.raises(KeyError):
        with from_device("frame", "rule X"):
            raise KeyError("a rig bug")
