"""DCC device services: responses matched to their commands, alerts kept, an unsolicited CS01a/b response (a top-up
entered on the meter) accepted and turned into the DCC alert, anything forged refused; SRV 8.1.1 gates (AC 4.12)."""
from __future__ import annotations

from datetime import datetime, timezone

from dcc_fixtures import CHF, ESME, SUPPLIER, Device

from harness.dcc import set_clock
from harness.dcc.devices import LOCAL_TOP_UP_ALERT, DeviceServices, join_payload, unjoin_payload
from harness.dcc.errors import Reason
from harness.dcc.smi import Smi, Status
from harness.gbcs.apdu import CRA_RESPONSE, GroupingHeader, Message, OtherInfo
from rig.clock import VirtualClock

CS01A = 0x0007


class Wan:
    """The CHF's WAN side as the DCC sees it: takes commands, answers later through `on_message`."""

    def __init__(self):
        self.sent: list[bytes] = []

    def __call__(self, data: bytes) -> None:
        self.sent.append(data)


def services(core, smi=None):
    record: list = []
    wan = Wan()
    return DeviceServices(core, smi or Smi(), VirtualClock(), wan, lambda *entry: record.append(entry)), wan


def local_top_up_response(keys, counter: int, *, tamper: bool = False) -> bytes:
    header = GroupingHeader(CRA_RESPONSE, counter, ESME, SUPPLIER, None, OtherInfo(CS01A), b"\x05\x00", b"")
    data = Device(keys, ESME).respond(header.with_signature(b""), critical=False, originator=ESME,
                                      recipient=SUPPLIER, counter=counter)
    return data[:-1] + bytes([data[-1] ^ 1]) if tamper else data


def test_a_response_is_matched_to_its_command_and_alerts_are_kept(bench_core, bench_keys):
    devices, wan = services(bench_core)
    command = bench_core.command(SUPPLIER, ESME, 0x000F, b"\x04\x08" + CHF, critical=False)
    devices.transmit(command)
    assert wan.sent == [command.data]
    devices.on_message(Device(bench_keys, ESME).respond(command.header, b"\x02\x01\x00", critical=False))
    assert devices.await_response(command, 0).header.payload == b"\x02\x01\x00"
    devices.on_message(Device(bench_keys, ESME).alert(0x10, SUPPLIER, critical=False))
    assert [a.header.counter for a in devices.alerts] == [0x10]


def test_an_unsolicited_local_top_up_response_becomes_a_dcc_alert(bench_core, bench_keys):
    smi = Smi()
    devices, _ = services(bench_core, smi)
    devices.on_message(local_top_up_response(bench_keys, 3 << 32))
    [received] = devices.unsolicited
    assert received.header.message_code == CS01A and not devices.rejected
    assert [a.code for a in smi.alerts_for(ESME)] == [LOCAL_TOP_UP_ALERT]
    # a forged one (bad MAC) and a replay are refused; an unmatched response of another use case stays unmatched
    devices.on_message(local_top_up_response(bench_keys, 4 << 32, tamper=True))
    devices.on_message(local_top_up_response(bench_keys, 3 << 32))
    other = Device(bench_keys, ESME).respond(
        GroupingHeader(1, 99, SUPPLIER, ESME, None, OtherInfo(0x0062), b"", b""), critical=False)
    devices.on_message(other)
    assert [r.reason for r in devices.rejected] == [Reason.BAD_MAC, Reason.REPLAYED_COUNTER, Reason.UNMATCHED]
    assert len(smi.alerts_for(ESME)) == 1


def test_a_local_top_up_response_does_not_move_the_devices_alert_counter(bench_core, bench_keys):
    # The CS01 response carries the UTRN's counter (2^32 and up), not one of the meter's alert series: an alert
    # the meter sends afterwards under its own (lower) alert counter is still accepted.
    devices, _ = services(bench_core)
    devices.on_message(local_top_up_response(bench_keys, 3 << 32))
    devices.on_message(Device(bench_keys, ESME).alert(0x10, SUPPLIER, critical=False))
    assert len(devices.unsolicited) == 1 and not devices.rejected
    assert [a.header.counter for a in devices.alerts] == [0x10]


def test_commission_device_is_refused_before_any_command_when_the_chf_is_not_commissioned(bench_core):
    smi = Smi()
    smi.prenotify(CHF, "chf", 0)
    smi.prenotify(ESME, "esme", 0).chf = CHF
    smi.set_status(ESME, Status.INSTALLED_NOT_COMMISSIONED, 0)
    devices, wan = services(bench_core, smi)
    answer = devices.commission(SUPPLIER, ESME)
    assert not answer.ok and answer.command is None and not wan.sent
    smi.set_status(CHF, Status.COMMISSIONED, 0)
    smi.set_status(ESME, Status.SUSPENDED, 0)
    assert devices.commission(SUPPLIER, ESME).command is None and not wan.sent


def test_the_dcc_builds_the_rtds_set_clock_join_and_unjoin_payloads(rtds_hex):
    def content(directory: str, name: str) -> bytes:
        return Message.decode(rtds_hex(directory, name)).grouping.payload

    def utc(*fields: int) -> float:
        return datetime(*fields, tzinfo=timezone.utc).timestamp()

    assert set_clock.ecs70_payload(0x3E8, utc(2014, 12, 31, 23, 59, 10), utc(2015, 1, 1, 0, 0, 10)) == \
        content("6.11_ECS70", "ECS70_6.11_SUCCESS_COMMAND_GBCS.HEX")
    assert set_clock.gcs28_payload(utc(2014, 12, 31, 23, 30), utc(2015, 1, 1, 0, 30)) == \
        content("6.11_GCS28", "GCS28_6.11_SUCCESS_COMMAND_GBCS.HEX")
    assert join_payload(2, bytes.fromhex("00DB12345678909C"), 3) == \
        content("8.7.2_CS03B", "CS03B_8.7.2_SUCCESS_COMMAND_GBCS.HEX")
    cs03c = content("8.7.2_CS03CNonCritical", "CS03CNonCritical_8.7.2_SUCCESS_COMMAND_GBCS.HEX")
    certificate = cs03c[cs03c.index(bytes.fromhex("308201A1")):]  # the other device's KA certificate, last
    assert join_payload(3, bytes.fromhex("00DB123456789094"), 0, certificate) == cs03c
    assert unjoin_payload(bytes.fromhex("00DB123456789099")) == \
        content("8.8.1_CS04ACCritical", "CS04ACCritical_8.8.1_SUCCESS_COMMAND_GBCS.HEX")
    # the meter's answers read back: ECS70 time and success, GCS28 time and window status
    assert set_clock.meter_time(set_clock.ECS70, content("6.11_ECS70", "ECS70_6.11_SUCCESS_RESPONSE_GBCS.HEX")) == \
        (utc(2015, 1, 1), True)
    assert set_clock.meter_time(set_clock.GCS28, content("6.11_GCS28", "GCS28_6.11_ERROR_RESPONSE_GBCS.HEX")) == \
        (utc(2015, 1, 1), False)
