# The ESME's alert filter (firmware/roles/alert_config.py, BAD 7.5.6.1): SRV 6.22 (ECS25a2, the RTDS command)
# stores it; it stops the non-critical alerts whose bits are clear and never a Critical one; the defects. Runs under
# CPython and MicroPython.
import binascii

from firmware.gbcs import dlms, frame
from firmware.roles import alert_config as ac
from fwtest import need_shared

INVOKE = 0x200003E8
NONE = b"\x00" * 64


def request(bits, obis=ac.FILTER_OBIS):
    return dlms.build_access_request(INVOKE, [(dlms.SET, 1, obis, 2, None)], [(dlms.BIT_STRING, (512, bits))])


def results(rsp):
    return dlms.parse_access_response(rsp)[3]


def test_rtds_command_sets_the_filter():
    f = open(need_shared("rtds", "RTDS-4.5.0", "6.22_ECS25a2", "ECS25a2_6.22_SUCCESS_COMMAND_GBCS.HEX"))
    try:
        command = frame.parse(binascii.unhexlify(f.read().strip()))
    finally:
        f.close()
    state = {}
    assert results(ac.set_filter(state, command.content, INVOKE)) == [(dlms.SET, 0)]
    # byte 19 = 0x06: bits 157 and 158
    assert ac.enabled(state, 0x8000 + 157) and ac.enabled(state, 0x8000 + 158)
    assert not ac.enabled(state, 0x8000 + 156) and not ac.enabled(state, 0x810E)


def test_every_alert_until_a_filter_is_set_and_critical_ones_always():
    state = {}
    assert ac.enabled(state, 0x810E) and ac.enabled(state, 0x8F3F)
    ac.set_filter(state, request(NONE), INVOKE)
    assert not ac.enabled(state, 0x810E) and not ac.enabled(state, 0x8000)
    assert ac.enabled(state, 0x8F3F) and ac.enabled(state, 0x8F0C) and ac.enabled(state, 0x0054)


def test_another_object_is_refused_and_changes_nothing():
    state = {}
    assert results(ac.set_filter(state, request(NONE, b"\x00\x21\x61\x62\x0b\xff"), INVOKE)) == [(dlms.SET, 250)]
    assert "alert_filter" not in state


def test_defects():
    state = {}
    assert results(ac.set_filter(state, request(NONE), INVOKE, ["alert_filter_ignored"])) == [(dlms.SET, 0)]
    assert ac.enabled(state, 0x810E)
    ac.set_filter(state, request(NONE), INVOKE)
    assert not ac.enabled(state, 0x8F3F, ["critical_alerts_filterable"])
    ac.set_filter(state, request(b"\x80" + NONE[1:]), INVOKE)
    assert ac.enabled(state, 0x8F3F, ["critical_alerts_filterable"]) and ac.enabled(state, 0x8000)
