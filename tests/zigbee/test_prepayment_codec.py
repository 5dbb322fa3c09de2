"""ZSE Prepayment cluster codec (harness/zigbee/prepayment.py): layouts from SE 1.4 Annex D.7, round trips, and
malformed input as typed errors."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from harness.errors import InputError
from harness.zigbee import prepayment as pp

UTRN = "73943333457189043313"  # gbcs.md 3.2 vector


def test_consumer_top_up_layout_carries_the_utrn_as_a_20_octet_string():
    data = pp.frame(pp.ConsumerTopUp.for_utrn(UTRN), tsn=5)
    # ZCL: cluster-specific, client to server | TSN | command 0x04 ; payload: IHD (0x02) | 0x14 | 20 ASCII digits
    assert data == bytes([0x01, 0x05, 0x04, 0x02, 0x14]) + UTRN.encode()
    f, cmd = pp.parse(data)
    assert f.command == pp.CONSUMER_TOP_UP and cmd.utrn == UTRN and cmd.origin is pp.OriginatingDevice.IHD


def test_select_emergency_credit_layout():
    issued = pp.utc_time(1767225600)  # 2026-01-01T00:00:00Z
    data = pp.frame(pp.SelectEmergencyCredit(issued), tsn=9)
    assert issued == 0x30E87580 and data == bytes.fromhex("010900" "8075E830" "02")
    assert pp.parse(data)[1] == pp.SelectEmergencyCredit(issued, pp.OriginatingDevice.IHD)


def test_consumer_top_up_response_layout_and_signed_values():
    resp = pp.ConsumerTopUpResponse(pp.ResultType.REJECTED_DUPLICATE_TOP_UP, 0, pp.OriginatingDevice.IHD, -250)
    data = pp.frame(resp, tsn=7)
    # server to client, default response disabled (0x19) | TSN | 0x03 ; result | value i32 | source | credit i32
    assert data == bytes.fromhex("190703" "02" "00000000" "02" "06FFFFFF")
    assert pp.parse(data)[1] == resp


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=25), st.sampled_from(list(pp.OriginatingDevice)),
       st.integers(-2**31, 2**31 - 1), st.integers(0, 255))
def test_round_trips(code, origin, value, tsn):
    assert pp.parse(pp.frame(pp.ConsumerTopUp(code, origin), tsn))[1] == pp.ConsumerTopUp(code, origin)
    resp = pp.ConsumerTopUpResponse(pp.ResultType.ACCEPTED, value, origin, -value - 1)
    assert pp.parse(pp.frame(resp, tsn))[1] == resp


@pytest.mark.parametrize("data, field", [
    (bytes.fromhex("010104020231"), "top_up_code"),  # length 2, one octet left
    (bytes.fromhex("0101040200"), "top_up_code.length"),  # empty code
    (bytes.fromhex("010104021A") + b"1" * 26, "top_up_code.length"),  # 26 octets
    (bytes.fromhex("0101040701") + b"1", "originating_device"),
    (bytes.fromhex("01010402013132"), "payload"),  # trailing octet
    (bytes.fromhex("0101000000000002FF"), "payload"),
    (bytes.fromhex("010101"), "command_id"),  # Change Debt: not one the rig knows
    (bytes.fromhex("1901030700000000020000000000"), "result_type"),
    (bytes.fromhex("000100"), "frame_control"),  # a global command
    (bytes.fromhex("05AA1301040214"), "frame_control"),  # manufacturer-specific
    (b"\x01", "tsn"),
])
def test_malformed_frames_are_input_errors(data, field):
    with pytest.raises(InputError) as e:
        pp.parse(data)
    assert e.value.field == field


def test_top_up_code_length_is_checked_when_building():
    with pytest.raises(InputError):
        pp.ConsumerTopUp(b"")
    with pytest.raises(InputError):
        pp.ConsumerTopUp(b"1" * 26)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_arbitrary_bytes_parse_or_raise_input_error(data):
    try:
        pp.parse(data)
    except InputError:
        pass


def test_the_ppmid_board_sends_what_the_codec_reads(tmp_path):
    from firmware import roles
    from firmware.gbcs import gbz
    from firmware.hal import Hal

    events: list = []
    hal = Hal(lambda name, data: events.append((name, data)), str(tmp_path),
              {"ppmid": {"esme": "00DB1234567890A0", "gsme": "00DB1234567890A1"}})
    hal.clock.set(1767225600000)
    ppmid = roles.load("ppmid", hal)
    hal.keypad.press(UTRN + "#" + "A" + "C" + UTRN + "#")
    sent = [d for n, d in events if n == "han.send"]
    top_up = pp.ConsumerTopUp.decode(bytes.fromhex(sent[0]["payload"]))
    assert (sent[0]["command"], top_up.utrn, top_up.origin) == (pp.CONSUMER_TOP_UP, UTRN, pp.OriginatingDevice.IHD)
    assert pp.SelectEmergencyCredit.decode(bytes.fromhex(sent[1]["payload"])).issued == pp.utc_time(1767225600)
    comp = gbz.parse(bytes.fromhex(sent[2]["gbz"])).components[0]
    assert pp.ConsumerTopUp.decode(bytes(comp.payload)).utrn == UTRN
    assert ppmid.state["target"] == "gsme"
