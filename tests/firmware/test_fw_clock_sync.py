# A meter's daily clock synchronisation (firmware/roles/clock_sync.py): at most 10 s adjusted, else 0x8F0C due and
# the clock left as it is; a Set Clock adopts the CH's time. Under CPython and MicroPython.
from firmware.roles import clock_sync

DAY = clock_sync.SYNC_PERIOD_MS
T0 = 1767225600000


def test_daily_sync_adjusts_up_to_10_s_and_flags_more():
    clock = clock_sync.defaults()
    clock_sync.adopt(clock, T0)
    clock_sync.drift(clock, 10000)
    assert not clock_sync.daily(clock, T0 + DAY - 1)  # not due yet
    assert clock["drift_ms"] == 10000
    assert not clock_sync.daily(clock, T0 + DAY)      # due: 10 s is adjusted
    assert clock["drift_ms"] == 0
    clock_sync.drift(clock, -10001)
    assert clock_sync.daily(clock, T0 + 2 * DAY)      # more than 10 s: not adjusted, 0x8F0C due
    assert clock["drift_ms"] == -10001
    assert not clock_sync.daily(clock, T0 + 2 * DAY + 1000)  # once a day at most
    assert not clock_sync.daily(clock, T0 + 3 * DAY, adjust_any=True)
    assert clock["drift_ms"] == 0


def test_first_sync_only_starts_the_day():
    clock = clock_sync.defaults()
    clock_sync.drift(clock, 60000)
    assert not clock_sync.daily(clock, T0)
    assert clock["synced_ms"] == T0 and clock["drift_ms"] == 60000


def test_no_sync_while_the_ch_has_no_valid_time():
    clock = clock_sync.defaults()
    clock_sync.adopt(clock, T0)
    clock_sync.drift(clock, 5000)
    clock["ch_valid"] = False
    assert not clock_sync.daily(clock, T0 + 2 * DAY)  # not adjusted, nothing flagged: the clock is left unchanged
    assert clock["drift_ms"] == 5000 and clock["synced_ms"] == T0
    clock["ch_valid"] = True
    assert not clock_sync.daily(clock, T0 + 2 * DAY + 1000)  # valid again: the overdue synchronisation is made
    assert clock["drift_ms"] == 0 and clock["synced_ms"] == T0 + 2 * DAY + 1000
    assert clock_sync.ch_valid({"drift_ms": 0, "synced_ms": None})  # a clock kept before the field existed


def test_ecs70_is_not_applied_from_a_ch_without_valid_time():
    from firmware.gbcs import dlms
    from firmware.roles import set_clock

    def window(start_ms, end_ms):
        return (dlms.STRUCTURE, [(dlms.OCTET_STRING, b"\xff" * 12), (dlms.OCTET_STRING, set_clock.cosem_time(start_ms)),
                                 (dlms.OCTET_STRING, set_clock.cosem_time(end_ms))])

    specs = [(dlms.ACTION, set_clock.CLOCK_CLASS, set_clock.CLOCK_OBIS, set_clock.PRESET_ADJUSTING_TIME, None),
             (dlms.GET, set_clock.CLOCK_CLASS, set_clock.CLOCK_OBIS, 2, None)]
    content = dlms.build_access_request(dlms.invoke_id(1), specs, [window(T0 - 60000, T0 + 60000), (dlms.NULL, None)])
    ok, inside = set_clock.ecs70(content, T0, dlms.invoke_id(1))
    refused, usable_inside = set_clock.ecs70(content, T0, dlms.invoke_id(1), usable=False)
    assert inside and not usable_inside
    assert [r for _, r in dlms.parse_access_response(refused)[3]] == [0, 1]
    assert [r for _, r in dlms.parse_access_response(ok)[3]] == [0, 0]
