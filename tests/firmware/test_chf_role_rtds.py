"""The CHF board half against the RTDS CCS01 and CS14 (CPython; the same module runs on every simulated board).

The RTDS holds no device private keys, so the CHF under test gets the ACB's KA private key and the ACB entry gets
the CHF's KA public key: ECDH is symmetric, so the CHF verifies the real ACB MAC with its own code.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from firmware.gbcs import dlms, frame
from firmware.hal import Hal
from firmware.roles.chf import Chf
from harness.dcc.han import cs14_log, register_device_payload
from harness.gbcs.apdu import Message
from rawkeys import ACB, private, public

CHF = "00DB1234567890A2"
ESME = bytes.fromhex("00DB1234567890A0")


def _read(path: Path) -> bytes:
    return bytes.fromhex("".join(path.read_text().split()))


@pytest.fixture
def rtds(shared):
    return shared("rtds", "RTDS-4.5.0"), shared("rtds", "keystore")


def _chf(tmp_path: Path, keystore: Path, events: list) -> Chf:
    gbcs = {"eui": CHF, "ka_private": private(keystore, ACB, "ka").hex(), "ds_private": "11" * 32,
            "acb": ACB, "parties": {ACB: {"ds": public(keystore, ACB, "ds").hex(), "ka": public(keystore, CHF, "ka").hex()}}}
    (tmp_path / "data").mkdir()
    hal = Hal(lambda name, data: events.append((name, data)), str(tmp_path), {"role": "chf", "gbcs": gbcs})
    hal.clock.set(1_767_225_600_000)
    return Chf(hal)


def test_rtds_ccs01_adds_the_device_and_answers_like_the_rtds(rtds, tmp_path):
    folder, keystore = rtds
    events: list = []
    chf = _chf(tmp_path, keystore, events)
    command = _read(folder / "8.11_CCS01" / "CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX")
    expected = frame.parse(_read(folder / "8.11_CCS01" / "CCS01_8.11_SUCCESS_RESPONSE_GBCS.HEX"))

    answer = chf.gbcs_command({"hex": command.hex()})

    assert answer["rejected"] is None, answer
    response = frame.parse(bytes.fromhex(answer["response"]))
    assert response.content == expected.content  # DA ... results action/set/set all success
    assert response.other_info == expected.other_info and response.counter == expected.counter
    [entry] = chf.devlog_get({})["log"]
    assert entry["eui"] == ESME.hex().upper() and bytes.fromhex(entry["ic"]) == b"0123456789ABCDEF"
    added = [d for n, d in events if n == "devlog.added"]
    assert added == [{"eui": ESME.hex().upper(), "ic": entry["ic"], "join_timeout": 90}]
    [alert] = [d for n, d in events if n == "alert"]
    assert cs14_log(Message.decode(bytes.fromhex(alert["hex"])).grouping.payload) == [ESME]
    # A replay of the same command is refused (anti-replay, GBCS 4.3.1.5) and changes nothing.
    again = chf.gbcs_command({"hex": command.hex()})
    assert again["rejected"] == "counter_not_greater" and len(chf.devlog_get({})["log"]) == 1


def test_rtds_cs14_has_the_layout_the_chf_builds(rtds):
    folder, _ = rtds
    alert = Message.decode(_read(folder / "NA_CS14" / "CS14_NA_8F12_ALERT_GBCS.HEX"))
    assert cs14_log(alert.grouping.payload) == [ESME, bytes.fromhex("00DB1234567890A1")]


def test_dcc_builds_the_rtds_ccs01_payload(rtds):
    folder, _ = rtds
    command = frame.parse(_read(folder / "8.11_CCS01" / "CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX"))
    built = register_device_payload(command.counter_int(), ESME, 1, b"0123456789ABCDEF", 90)
    assert built == command.content


def test_malformed_ccs01_payload_is_refused_not_crashing(tmp_path, shared):
    keystore = shared("rtds", "keystore")
    events: list = []
    chf = _chf(tmp_path, keystore, events)
    req = dlms.parse_access_request(register_device_payload(5, ESME, 1, b"0123456789ABCDEF", 90))
    assert req.specs[0][1] == 104
    # A register_device whose EUI is 7 octets: the CHF answers with a non-success result, adds nothing.
    bad = dlms.build_access_request(0x20000005, req.specs[:1],
                                    [(dlms.STRUCTURE, [(dlms.OCTET_STRING, ESME[:7]), (dlms.ENUM, 1),
                                                       (dlms.OCTET_STRING, b"0123456789ABCDEF"), (dlms.ENUM, 0)])])
    content = chf.ccs01(type("Cmd", (), {"content": bad, "counter": (5).to_bytes(8, "big")})())
    _, _, _, results = dlms.parse_access_response(content)
    assert results == [(dlms.ACTION, 250)] and chf.devlog_get({})["log"] == []
    assert json.dumps(chf.state)  # state stays JSON-serialisable for flash
