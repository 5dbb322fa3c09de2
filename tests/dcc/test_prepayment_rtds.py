"""DCC prepayment services (harness/dcc/prepayment.py) against the RTDS: the CS01a/CS01b payloads it builds, the
top-up responses and the Generic Alerts it reads."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.dcc import prepayment as pp
from harness.dcc.core import Received
from harness.errors import ConformanceFailure
from harness.gbcs.apdu import Message


@pytest.fixture
def rtds(shared):
    folder = shared("rtds", "RTDS-4.5.0")

    def message(name: str) -> Message:
        path = next(folder.glob(f"*/{name}_GBCS.HEX"))
        return Message.decode(bytes.fromhex("".join(path.read_text().split())))

    return message


def test_cs01a_payload_is_the_rtds_command(rtds):
    command = rtds("CS01a_2.2_SUCCESS_COMMAND").grouping
    assert command.counter == 3 << 32  # the UTRN's counter is the command's
    assert pp.cs01a_payload(command.counter, "73946144332040217315") == command.payload


def test_cs01b_payload_carries_the_utrn_as_the_gbcs_brief_says(rtds):
    # gbcs.md 3.2: GBZ, Prepayment cluster 0x0705, command 0x04 Consumer Top Up, `00 14 <digits>`
    payload = pp.cs01b_payload("73950067887105178605")
    assert payload == bytes.fromhex("0109 01 01 0705 0019 01 00 04 00 14".replace(" ", "")) + b"73950067887105178605"


def test_top_up_responses_read_like_the_rtds(rtds):
    assert pp.top_up_accepted(pp.CS01A, rtds("CS01a_2.2_SUCCESS_RESPONSE").grouping.payload)
    assert not pp.top_up_accepted(pp.CS01A, rtds("CS01a_2.2_ERROR_RESPONSE").grouping.payload)
    assert pp.top_up_accepted(pp.CS01B, rtds("PCS01_NA_SUCCESS_RESPONSE").grouping.payload)
    with pytest.raises(ConformanceFailure):
        pp.top_up_accepted(pp.CS01B, rtds("GCS06_2.5_SUCCESS_RESPONSE").grouping.payload)


def test_generic_alerts_read_like_the_rtds(rtds):
    dlms = pp.device_alert(Received(rtds("GNCA-DLMS_NA_810E_ALERT")))
    gbz = pp.device_alert(Received(rtds("GNCA-ZigBee_NA_810E_ALERT")))
    critical = pp.device_alert(Received(rtds("GCA-ZigBee_NA_8F30_ALERT")))
    assert (dlms.code, dlms.critical, dlms.time) == (0x810E, False, 1420070400.0)  # 2015-01-01T00:00:00Z
    assert (gbz.code, gbz.time) == (0x810E, 0x1C374A80 + 946684800)
    assert (critical.code, critical.critical) == (0x8F30, True)
    assert pp.device_alert(Received(rtds("CS14_NA_8F12_ALERT"))) is None


def test_payment_mode_payload_and_responses_read_like_the_rtds(rtds):
    command = rtds("GCS02_1.6_IMMEDIATE_SUCCESS_COMMAND").grouping.payload
    ours = pp.payment_mode_payload(pp.GCS02)
    # the RTDS's but for the issuer event id (octets 15-18 of the GBZ), which the rig numbers from 1
    assert ours[:15] + ours[19:] == command[:15] + command[19:]
    assert pp.payment_mode_changed(rtds("GCS02_1.6_IMMEDIATE_SUCCESS_RESPONSE").grouping.payload)
    assert not pp.payment_mode_changed(rtds("GCS02_1.6_IMMEDIATE_ERROR_RESPONSE").grouping.payload)


def test_emergency_credit_payloads_and_responses_are_the_rtds(rtds):
    ecs09 = rtds("ECS09_2.5_SUCCESS_COMMAND").grouping
    assert pp.ecs09_payload(ecs09.counter) == ecs09.payload
    assert pp.gcs06_payload() == rtds("GCS06_2.5_SUCCESS_COMMAND").grouping.payload
    assert pp.emergency_credit_activated(pp.ECS09, rtds("ECS09_2.5_SUCCESS_RESPONSE").grouping.payload)
    assert not pp.emergency_credit_activated(pp.ECS09, rtds("ECS09_2.5_ERROR_RESPONSE").grouping.payload)
    assert pp.emergency_credit_activated(pp.GCS06, rtds("GCS06_2.5_SUCCESS_RESPONSE").grouping.payload)
    assert not pp.emergency_credit_activated(pp.GCS06, rtds("GCS06_2.5_ERROR_RESPONSE").grouping.payload)


def test_ecs08_payload_is_the_rtds_command_for_its_calendar(rtds_hex):
    command = Message.decode(rtds_hex("2.1_ECS08", "ECS08_2.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX")).grouping
    days = [(0xFFFF, 7, 29), (0xFFFF, 8, 25), (0xFFFF, 9, 6), (0xFFFF, 10, 5), (0xFFFF, 8, 15)]
    special = [(y.to_bytes(2, "big") + bytes([m, d, 0xFF]), n) for n, (y, m, d) in enumerate(days, 1)]
    winter, summer = (b"\x07\xde\x0a\x1b\xff", b"\x07\xdf\x03\x1c\xff"), (b"\xff\xff\x04\x1d\xff", b"\xff\xff\x07\x19\xff")
    schedule = []
    for begin, end in (winter, summer):  # weekends 00:00-09:30 and from 22:00, weekdays 00:00-07:30 and from 20:00
        for weekdays, times in ((0x03, ((0, 0), (9, 30), (22, 0))), (0x7C, ((0, 0), (7, 30), (20, 0)))):
            schedule += [pp.Switch(n != 1, h, m, weekdays, 0, begin, end) for n, (h, m) in enumerate(times)]
    specials = (b"\xff\xff\x07\x1a\xff", b"\xff\xff\x08\x1f\xff"), (b"\xff\xff\x09\x01\xff", b"\xff\xff\x0a\x1a\xff")
    for ids, (begin, end), times in ((0x19, specials[0], ((0, 0), (19, 0))), (0x06, specials[1], ((1, 15), (18, 45)))):
        schedule += [pp.Switch(n == 0, h, m, 0, ids, begin, end) for n, (h, m) in enumerate(times)]
    assert pp.ecs08_payload(command.counter, special, schedule) == command.payload


def test_ecs26j_payload_is_the_rtds_command_and_its_response_reads_prepayment_mode(rtds):
    command = rtds("ECS26j_6.2.9_SUCCESS_COMMAND").grouping
    assert pp.ecs26j_payload(command.counter) == command.payload
    assert pp.payment_mode_read(rtds("ECS26j_6.2.9_SUCCESS_RESPONSE").grouping.payload) == pp.PREPAYMENT_MODE
    with pytest.raises(ConformanceFailure):
        pp.payment_mode_read(rtds("ECS26j_6.2.9_ERROR_RESPONSE").grouping.payload)
    # ECS02 / ECS03: the same attribute set (no RTDS): the ESME board's decoder takes them
    from firmware.gbcs import dlms

    for code, mode in ((pp.ECS02, 1), (pp.ECS03, 2)):
        req = dlms.parse_access_request(pp.account_mode_payload(code)(command.counter))
        assert req.specs[0][:4] == (dlms.SET, 111, bytes.fromhex("0000130000FF"), 2)
        assert req.data == [(dlms.STRUCTURE, [(dlms.ENUM, mode), (dlms.ENUM, 2)])]
