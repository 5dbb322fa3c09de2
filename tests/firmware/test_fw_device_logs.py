# The ESME's event and security logs over GBCS (firmware/roles/device_logs.py, BAD 7.5.7.5.1): the RTDS ECS35a /
# ECS35b reads answered from the logs in the RTDS response layout, ECS15a clearing only the event log, and the
# defects. Runs under CPython and MicroPython.
import binascii

from firmware.gbcs import dlms, frame
from firmware.roles import device_logs as logs
from fwtest import need_shared

GB = logs.GB_EPOCH_MS
T = GB + 0x1C361064 * 1000  # inside the RTDS read range (2015-01-01 .. 2015-01-16)
INVOKE = 0x200003E8


def rtds(folder, name):
    f = open(need_shared("rtds", "RTDS-4.5.0", folder, name))
    try:
        return frame.parse(binascii.unhexlify(f.read().strip()))
    finally:
        f.close()


def state():
    return {"events": [[T, 0x54, 0x0048, "90B3D51F30010000"], [T + 1000, 0x55, None, None]],
            "security": [[T, "bad_mac", 0x0048, "90B3D51F30010000"]]}


def clear_request(obis):
    return dlms.build_access_request(INVOKE, [(dlms.ACTION, 7, obis, 1, None)], [(0x0F, 0)])


def test_rtds_event_log_read_is_answered_in_the_rtds_layout():
    command = rtds("6.13_ECS35a", "ECS35a_6.13_SUCCESS_COMMAND_GBCS.HEX")
    inv, dt, data, results = dlms.parse_access_response(
        logs.read(state(), logs.EVENT_LOG, command.content, dlms.invoke_id(command.counter)))
    assert results == [(dlms.GET, 0)]
    assert data[0] == (dlms.COMPACT_ARRAY, (b"\x02\x03\x06\x12\x09", binascii.unhexlify(
        "1C361064" "0054" "020048" "1C361065" "0055" "00")))


def test_rtds_security_log_read_is_answered_in_the_rtds_layout():
    command = rtds("6.13_ECS35b", "ECS35b_6.13_SUCCESS_COMMAND_GBCS.HEX")
    _, _, data, results = dlms.parse_access_response(
        logs.read(state(), logs.SECURITY_LOG, command.content, dlms.invoke_id(command.counter)))
    assert results == [(dlms.GET, 0)]
    assert data[0] == (dlms.COMPACT_ARRAY, (b"\x02\x02\x06\x12", binascii.unhexlify("1C361064") + b"\x8f\x3e"))


def test_entries_outside_the_range_and_reads_of_another_log_are_left_out():
    command = rtds("6.13_ECS35a", "ECS35a_6.13_SUCCESS_COMMAND_GBCS.HEX")
    s = state()
    s["events"].append([GB + 0x1C374A81 * 1000, 0x54, 0x0048, None])  # one second after the range
    _, _, data, _ = dlms.parse_access_response(logs.read(s, logs.EVENT_LOG, command.content, INVOKE))
    assert len(data[0][1][1]) == 2 * 6 + 3 + 1
    _, _, data, results = dlms.parse_access_response(logs.read(s, logs.SECURITY_LOG, command.content, INVOKE))
    assert results == [(dlms.GET, 250)] and data == [(dlms.NULL, None)]


def test_the_event_log_clears_and_the_security_log_does_not():
    s = state()
    rsp, changed = logs.clear(s, clear_request(logs.EVENT_LOG), INVOKE)
    assert changed and s["events"] == [] and len(s["security"]) == 1
    assert dlms.parse_access_response(rsp)[3] == [(dlms.ACTION, 0)]
    rsp, changed = logs.clear(s, clear_request(logs.SECURITY_LOG), INVOKE)
    assert not changed and len(s["security"]) == 1
    assert dlms.parse_access_response(rsp)[3] == [(dlms.ACTION, logs.DENIED)]
    rsp, changed = logs.clear(s, clear_request(b"\x00\x11\x63\x62\x02\xff"), INVOKE)
    assert not changed and dlms.parse_access_response(rsp)[3] == [(dlms.ACTION, 250)]


def test_defects():
    s = state()
    _, changed = logs.clear(s, clear_request(logs.SECURITY_LOG), INVOKE, ["security_log_clearable"])
    assert changed and s["security"] == []
    rsp, changed = logs.clear(s, clear_request(logs.EVENT_LOG), INVOKE, ["event_log_not_cleared"])
    assert not changed and len(s["events"]) == 2 and dlms.parse_access_response(rsp)[3] == [(dlms.ACTION, 0)]
