"""The meter's prepayment and supply GBCS handlers (firmware/prepay_gbcs.py) against the RTDS: the commands' contents
applied to real ESME/GSME board roles, answered with the RTDS responses' contents (CPython).

The GBCS checks of the command (MAC, counter) are the role's GBCS side; these tests start from the checked message.
The RTDS holds no device private keys, so the meter under test gets the supplier's prepayment KA private key and
knows the meter's KA public key as the supplier's: ECDH is symmetric, so the meter checks the real UTRN MACs with
its own code.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware import credit, prepay_gbcs, roles, utrn
from firmware.crypto import p256
from firmware import supply_control as sc
from firmware.gbcs import frame
from firmware.gbcs.errors import ParseError
from firmware.hal import Hal
from firmware.roles.gbcs_role import Refused
from rawkeys import private, public

SUPPLIER = "90B3D51F30010000"
ESME, GSME, PPMID = "00DB1234567890A0", "00DB1234567890A1", "00DB1234567890A4"
T0 = 1_767_225_600_000


@pytest.fixture
def rtds(shared):
    folder, keystore = shared("rtds", "RTDS-4.5.0"), shared("rtds", "keystore")

    def message(name: str) -> frame.Message:
        path = next(folder.glob(f"*/{name}_GBCS.HEX"))
        return frame.parse(bytes.fromhex("".join(path.read_text().split())))

    message.keystore = keystore
    return message


def meter(tmp_path: Path, keystore: Path, role: str, eui: str, **extra):
    config = {"role": role,
              "gbcs": {"eui": eui, "ka_private": private(keystore, SUPPLIER, "pp-ka").hex(), "ds_private": "11" * 32,
                       "acb": "90B3D51F30000002", "parties": {}},
              "utrn": {"supplier": SUPPLIER, "supplier_pp": public(keystore, eui, "ka").hex(),
                       "max_topup": 100_000, "credit_limit": 1_000_000},
              "prepayment": {"ec_threshold": 500, "ec_limit": 1000}}
    config.update(extra)
    events: list = []
    hal = Hal(lambda name, data: events.append((name, data)), str(tmp_path), config)
    hal.clock.set(T0)
    m = roles.load(role, hal)
    return m, events


def answer(m, msg: frame.Message) -> bytes:
    return prepay_gbcs.handlers(m)[msg.message_code](msg)


def codes(events) -> list[int]:
    return [d["code"] for n, d in events if n == "device_alert"]


def test_cs01a_credits_the_rtds_utrn_once_and_answers_like_the_rtds(rtds, tmp_path):
    m, events = meter(tmp_path, rtds.keystore, "esme", ESME)
    command = rtds("CS01a_2.2_SUCCESS_COMMAND")

    assert answer(m, command) == rtds("CS01a_2.2_SUCCESS_RESPONSE").content
    assert m.account.s["balance"] == 1000  # £10
    assert credit.CREDIT_ADDED_LOCALLY not in codes(events)
    # The same command again (a replay the GBCS counter check would stop first) is refused by the UTRN cache too.
    assert answer(m, command) == rtds("CS01a_2.2_ERROR_RESPONSE").content
    assert m.account.s["balance"] == 1000


def test_cs01a_error_case_is_refused_by_a_device_rule(rtds, tmp_path):
    # The RTDS error UTRN (counter 5, £10) has a valid MAC: a meter at its maximum balance refuses it.
    m, _ = meter(tmp_path, rtds.keystore, "esme", ESME,
                 utrn={"supplier": SUPPLIER, "supplier_pp": public(rtds.keystore, ESME, "ka").hex(),
                       "max_topup": 100_000, "credit_limit": 500})
    assert answer(m, rtds("CS01a_2.2_ERROR_COMMAND")) == rtds("CS01a_2.2_ERROR_RESPONSE").content
    assert m.account.s["balance"] == 0


def test_cs01a_whose_counter_is_not_the_utrn_counter_is_refused(rtds, tmp_path):
    m, _ = meter(tmp_path, rtds.keystore, "esme", ESME)
    command = rtds("CS01a_2.2_SUCCESS_COMMAND")
    command.counter = (5 << 32).to_bytes(8, "big")
    assert answer(m, command)[-1] == 1 and m.account.s["balance"] == 0


def test_ecs42_ecs43_and_ecs09_answer_like_the_rtds(rtds, tmp_path):
    m, events = meter(tmp_path, rtds.keystore, "esme", ESME)
    assert answer(m, rtds("ECS43_7.2_SUCCESS_COMMAND")) == rtds("ECS43_7.2_SUCCESS_RESPONSE").content
    assert m.supply.s["state"] == sc.DISABLED and not m.hal.switch.on
    assert answer(m, rtds("ECS42_7.1_SUCCESS_COMMAND")) == rtds("ECS42_7.1_SUCCESS_RESPONSE").content
    assert m.hal.switch.on
    m.adjust_balance(-1)  # credit exhausted: disabled for credit, which a remote Enable cannot clear
    assert m.supply.s["cause"] == sc.BY_CREDIT
    assert answer(m, rtds("ECS42_7.1_ERROR_COMMAND")) == rtds("ECS42_7.1_ERROR_RESPONSE").content
    assert not m.hal.switch.on
    assert answer(m, rtds("ECS09_2.5_SUCCESS_COMMAND")) == rtds("ECS09_2.5_SUCCESS_RESPONSE").content
    assert m.account.s["ec_in_use"] and codes(events)[-2:] == [credit.EC_ACTIVATED, sc.SUPPLY_ARMED]
    assert answer(m, rtds("ECS09_2.5_ERROR_COMMAND")) == rtds("ECS09_2.5_ERROR_RESPONSE").content  # already in use


def utrn_for(keystore: Path, eui: str, counter10: int, pennies: int) -> str:
    """A UTRN from the RTDS supplier's prepayment key (value class pennies)."""
    z = p256.ecdh(private(keystore, SUPPLIER, "pp-ka"), public(keystore, eui, "ka"))
    high = (counter10 << 15) | pennies
    tag = utrn.ptut_tag(z, bytes.fromhex(SUPPLIER), bytes.fromhex(eui), counter10 << 32, high)
    digits = str(((high << 32) | int.from_bytes(tag[12:], "big")) + utrn.PPTD_BASE)
    return digits + str(utrn.check_digit(digits))


def test_pcs01_from_the_ppmid_in_the_log_answers_like_the_rtds(rtds, tmp_path):
    m, events = meter(tmp_path, rtds.keystore, "gsme", GSME)
    m.state["devlog"].append({"eui": PPMID, "type": 5})  # as a CS03C join leaves it
    m.adjust_balance(2500)
    command = rtds("PCS01_NA_SUCCESS_COMMAND")
    # The RTDS UTRN (counter 0, 2025 pennies) verifies under no supplier key in the keystore: the same UTRN fields
    # from the RTDS supplier's key take its place in the otherwise unchanged command.
    assert utrn.decode(command.content[-20:].decode()).pennies() == 2025
    command.content = command.content[:-20] + utrn_for(rtds.keystore, GSME, 0, 2025).encode()
    assert answer(m, command) == rtds("PCS01_NA_SUCCESS_RESPONSE").content
    assert m.account.s["balance"] == 4525 and codes(events)[-1] == credit.CREDIT_ADDED_LOCALLY


def test_pcs01_from_a_ppmid_not_in_the_log_is_not_processed_at_all(rtds, tmp_path):
    m, events = meter(tmp_path, rtds.keystore, "gsme", GSME)
    m.state["devlog"].append({"eui": "00DB1234567890FF", "type": 5})
    with pytest.raises(Refused) as e:
        answer(m, rtds("PCS01_NA_SUCCESS_COMMAND"))
    assert e.value.reason == "not_in_device_log"
    assert m.account.s["balance"] == 0 and [n for n, _ in events if n in ("topup", "device_alert")] == []


def test_gcs06_answers_like_the_rtds(rtds, tmp_path):
    m, _ = meter(tmp_path, rtds.keystore, "gsme", GSME)
    assert answer(m, rtds("GCS06_2.5_SUCCESS_COMMAND")) == rtds("GCS06_2.5_SUCCESS_RESPONSE").content
    assert m.account.s["ec_in_use"]
    assert answer(m, rtds("GCS06_2.5_ERROR_COMMAND")) == rtds("GCS06_2.5_ERROR_RESPONSE").content


def test_wrong_payloads_are_parse_errors(rtds, tmp_path):
    m, _ = meter(tmp_path, rtds.keystore, "esme", ESME)
    ecs42 = rtds("ECS42_7.1_SUCCESS_COMMAND")
    ecs42.message_code = prepay_gbcs.ECS43  # ECS43 carrying the enable script
    with pytest.raises(ParseError):
        answer(m, ecs42)
    cs01a = rtds("CS01a_2.2_SUCCESS_COMMAND")
    cs01a.content = rtds("ECS09_2.5_SUCCESS_COMMAND").content
    with pytest.raises(ParseError):
        answer(m, cs01a)
    assert m.hal.switch.on and m.account.s["balance"] == 0


def test_defective_meter_credits_a_replayed_remote_utrn(rtds, tmp_path):
    m, _ = meter(tmp_path, rtds.keystore, "esme", ESME, defects=["remote_utrn_no_replay_check"])
    command = rtds("CS01a_2.2_SUCCESS_COMMAND")
    answer(m, command)
    assert answer(m, command) == rtds("CS01a_2.2_SUCCESS_RESPONSE").content and m.account.s["balance"] == 2000


def test_the_ppmid_board_builds_the_rtds_pcs01(rtds, tmp_path):
    command = rtds("PCS01_NA_SUCCESS_COMMAND")
    events: list = []
    hal = Hal(lambda name, data: events.append((name, data)), str(tmp_path), {"ppmid": {"gsme": GSME}})
    ppmid = roles.load("ppmid", hal)
    hal.keypad.press("C" + command.content[-20:].decode() + "#")
    [sent] = [d for n, d in events if n == "han.send"]
    assert (sent["to"], sent["message_code"]) == (GSME, prepay_gbcs.PCS01)
    assert bytes.fromhex(sent["gbz"]) == command.content
    assert ppmid.state["target"] == "gsme"


def test_ecs81_sets_the_tamper_state_like_the_rtds_and_a_tamper_then_locks(rtds, tmp_path):
    m, events = meter(tmp_path, rtds.keystore, "esme", ESME, supply={"tamper_lock": False})
    assert answer(m, rtds("ECS81_6.25_SUCCESS_COMMAND")) == rtds("ECS81_6.25_SUCCESS_RESPONSE").content
    assert m.supply.s["tamper_lock"] is True
    m.methods()["stim.tamper"]({})
    assert codes(events)[-2:] == [sc.TAMPER_DETECTED, sc.TAMPER_LOCKED] and "LOCKED" in m.hal.display.text


def test_ecs44_arms_a_supply_disabled_by_ecs43_and_not_one_disabled_for_credit(rtds, tmp_path):
    m, events = meter(tmp_path, rtds.keystore, "esme", ESME)
    ecs44 = rtds("ECS43_7.2_SUCCESS_COMMAND")
    ecs44.message_code = prepay_gbcs.ECS44
    ecs44.content = ecs44.content[:-1] + b"\x35"  # the arm script [I]
    answer(m, rtds("ECS43_7.2_SUCCESS_COMMAND"))
    assert answer(m, ecs44) == rtds("ECS42_7.1_SUCCESS_RESPONSE").content  # the same invoke id, result 0
    assert m.supply.s["state"] == sc.ARMED and codes(events)[-1] == sc.SUPPLY_ARMED and not m.hal.switch.on
    m.adjust_balance(-1)  # disabled for credit: Arm's precondition is not met
    refused = rtds("ECS42_7.1_SUCCESS_RESPONSE").content[:-1] + b"\x01"  # as the RTDS ECS42 error: result 1
    assert answer(m, ecs44) == refused and m.supply.s["cause"] == sc.BY_CREDIT


def change_supply(seq: int, proposed: int) -> frame.Message:
    from firmware.gbcs import gbz

    body = bytes(16) + bytes([proposed, 0])
    msg = frame.Message.__new__(frame.Message)
    msg.content = gbz.build(gbz.Gbz([gbz.Component(prepay_gbcs.METERING_CLUSTER, 0x01, seq,
                                                   prepay_gbcs.CHANGE_SUPPLY, body)]))
    return msg


def supply_status(content: bytes) -> int:
    from firmware.gbcs import gbz

    [comp] = gbz.parse(content).components
    assert (comp.cluster, comp.command, len(comp.payload)) == (0x0702, 0x0C, 13)
    return comp.payload[12]


def test_gcs32_closes_gcs39_arms_and_no_change_supply_opens_the_valve(rtds, tmp_path):
    m, events = meter(tmp_path, rtds.keystore, "gsme", GSME)
    handle = prepay_gbcs.handlers(m)
    assert supply_status(handle[prepay_gbcs.GCS32](change_supply(1, 0))) == 0 and not m.hal.switch.on
    with pytest.raises(ParseError):  # a GSME is never enabled remotely
        handle[prepay_gbcs.GCS39](change_supply(2, 2))
    assert supply_status(handle[prepay_gbcs.GCS39](change_supply(3, 1))) == 1 and not m.hal.switch.on
    assert codes(events)[-1] == sc.SUPPLY_ARMED
    m.methods()["ui.press"]({"button": "enable"})
    assert m.hal.switch.on
    m.adjust_balance(-1)  # disabled for credit: GCS39 changes nothing and says so
    assert supply_status(handle[prepay_gbcs.GCS39](change_supply(4, 1))) == 0 and m.supply.s["cause"] == sc.BY_CREDIT


def test_ecs28a_sets_load_limiting_and_answers_like_the_rtds(rtds, tmp_path):
    m, _ = meter(tmp_path, rtds.keystore, "esme", ESME)
    assert answer(m, rtds("ECS28a_6.4.1_FUTURE_DATED_SUCCESS_COMMAND")) == \
        rtds("ECS28a_6.4.1_FUTURE_DATED_SUCCESS_RESPONSE").content
    s = m.supply.s
    assert (s["load_limit_disable"], s["load_limit_w"], s["load_limit_restore_s"], s["load_limit_period_s"]) == \
        (False, 6900, 300, 30)


def test_gcs02_switches_to_credit_mode_keeping_the_balance_and_answers_like_the_rtds(rtds, tmp_path):
    m, _ = meter(tmp_path, rtds.keystore, "gsme", GSME, prepayment={"ec_limit": 1000, "ec_threshold": 200,
                                                                     "special_days": ["2026-12-25"]})
    m.adjust_balance(1234)
    got = answer(m, rtds("GCS02_1.6_IMMEDIATE_SUCCESS_COMMAND"))
    want = rtds("GCS02_1.6_IMMEDIATE_SUCCESS_RESPONSE").content
    # the RTDS's but for the friendly credit calendar id (octets 12-15), which this meter leaves 0 [I]
    assert got[:12] + got[16:] == want[:12] + want[16:] and got[12:16] == bytes(4)
    assert m.account.s["mode"] == credit.CREDIT and m.account.s["balance"] == 1234
    assert "CREDIT MODE" in m.hal.display.text
    gcs03 = rtds("GCS02_1.6_IMMEDIATE_SUCCESS_COMMAND")
    gcs03.message_code = prepay_gbcs.GCS03
    with pytest.raises(ParseError):  # GCS03 carrying GCS02's credit-mode configuration
        answer(m, gcs03)
    gcs03.content = gcs03.content[:-6] + b"\x96" + gcs03.content[-5:]  # bit 1: prepayment enabled
    answer(m, gcs03)
    assert m.account.s["mode"] == credit.PREPAYMENT and m.account.s["balance"] == 1234


def test_ecs08_sets_the_rtds_non_disablement_calendar_and_answers_like_the_rtds(rtds, tmp_path):
    m, _ = meter(tmp_path, rtds.keystore, "esme", ESME)
    assert answer(m, rtds("ECS08_2.1_IMMEDIATE_SUCCESS_COMMAND")) == rtds("ECS08_2.1_IMMEDIATE_SUCCESS_RESPONSE").content
    calendar = m.account.s["calendar"]
    # special days: 29 July, 25 August, 6 September, 5 October, 15 August, every year, ids 1 to 5
    assert calendar["special"][0] == [0xFFFF, 7, 29, 1] and len(calendar["special"]) == 5
    # the first entry: script 32 (start) at 00:00 on Saturday and Sunday, 27 October 2014 to 28 March 2015
    assert calendar["entries"][0] == [0, True, 0b1100000, 0, [2014, 10, 27], [2015, 3, 28]]
    assert len(calendar["entries"]) == 16


def test_ecs08_calendar_suspends_disablement_in_its_periods(rtds, tmp_path):
    # Monday 2014-11-03 (winter weekdays: 32 at 00:00, 33 at 07:30, 32 at 20:00); Friday 2014-08-15, special day 5
    # (summer: 32 at 00:00, 33 at 19:00 on special days 1, 2, 5); Saturday 2014-08-16 (summer weekend: none)
    monday, friday, saturday = 1414972800000, 1408060800000, 1408147200000
    cases = ((monday + 6 * 3600000, True), (monday + 8 * 3600000, False), (monday + 21 * 3600000, True),
             (friday + 18 * 3600000, True), (friday + 20 * 3600000, False), (saturday + 3600000, False))
    for n, (when, suspended) in enumerate(cases):
        (tmp_path / str(n)).mkdir()
        m, events = meter(tmp_path / str(n), rtds.keystore, "esme", ESME)
        answer(m, rtds("ECS08_2.1_IMMEDIATE_SUCCESS_COMMAND"))
        m.hal.clock.set(when)
        m.adjust_balance(-1)  # the credit is exhausted: disabled (0x8F0F), or suspended in a period (0x8F83)
        assert (m.account.s["suspended"], m.hal.switch.on) == (suspended, suspended), n
        assert (credit.DISABLEMENT_SUSPENDED if suspended else credit.DISABLEMENT) in codes(events), n


def test_ecs02_ecs03_switch_the_esme_both_ways_keeping_its_balance_and_ecs26j_reads_like_the_rtds(rtds, tmp_path):
    from firmware.gbcs import dlms

    m, _ = meter(tmp_path, rtds.keystore, "esme", ESME)
    read = rtds("ECS26j_6.2.9_SUCCESS_COMMAND")
    assert answer(m, read) == rtds("ECS26j_6.2.9_SUCCESS_RESPONSE").content  # prepayment mode, account active
    m.adjust_balance(700)
    m.set_debt(time_debt=[100, 0], payment_debt=50)
    for code, mode in ((prepay_gbcs.ECS02, 1), (prepay_gbcs.ECS03, 2)):
        command = frame.parse(rtds("ECS26j_6.2.9_SUCCESS_COMMAND").raw)
        command.message_code = code
        command.content = dlms.build_access_request(0x200003E9, [(dlms.SET, 111, b"\x00\x00\x13\x00\x00\xff", 2, None)],
                                                    [(dlms.STRUCTURE, [(dlms.ENUM, mode), (dlms.ENUM, 2)])])
        assert answer(m, command) == dlms.build_access_response(0x200003E9, [(dlms.NULL, None)], [(dlms.SET, 0)])
        assert dlms.parse_access_response(answer(m, read))[2][0] == (dlms.STRUCTURE, [(0x16, mode), (0x16, 2)])
        assert m.account.s["balance"] == 700 and m.account.accumulated_debt() == 150
    wrong = frame.parse(rtds("ECS26j_6.2.9_SUCCESS_COMMAND").raw)
    wrong.message_code = prepay_gbcs.ECS02
    wrong.content = dlms.build_access_request(0x200003E9, [(dlms.SET, 111, b"\x00\x00\x13\x00\x00\xff", 2, None)],
                                              [(dlms.STRUCTURE, [(dlms.ENUM, 2), (dlms.ENUM, 2)])])
    with pytest.raises(ParseError):
        answer(m, wrong)
