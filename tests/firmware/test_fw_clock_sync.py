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
