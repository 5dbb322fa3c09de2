# The non-disablement calendar (firmware/nd_calendar.py) and its effect on the credit rules (firmware/credit.py),
# under CPython and MicroPython. Decoded DLMS values are (tag, value) as firmware.gbcs.dlms gives them.
from firmware import credit, nd_calendar
from firmware.credit import Account

SCRIPTS = b"\x00\x00\x0a\x00\x6a\xff"
EVERY_YEAR = (b"\xff\xff\x01\x01\xff", b"\xff\xff\x0c\x1f\xff")
MONDAY = 1767571200000  # 2026-01-05T00:00:00Z, a Monday
HOUR = 3600000


def entry(n, script, hour, minute, weekdays=(7, b"\xfe"), specdays=(5, b"\x00"), dates=EVERY_YEAR, enabled=255):
    return (0x02, [(0x12, n), (0x03, enabled), (0x09, SCRIPTS), (0x12, script), (0x09, bytes([hour, minute, 0, 0])),
                   (0x12, 0xFFFF), (0x04, weekdays), (0x04, specdays), (0x09, dates[0]), (0x09, dates[1])])


def calendar(entries, special=()):
    days = (0x01, [(0x02, [(0x12, n), (0x09, date), (0x11, day_id)]) for n, (date, day_id) in enumerate(special, 1)])
    return {"entries": nd_calendar.schedule((0x01, entries)), "special": nd_calendar.special_days(days)}


def test_periods_start_and_end_at_their_times_on_their_weekdays():
    # weekdays (Monday to Friday) 22:00 to 06:00 next morning: start at 00:00 and 22:00, end at 06:00
    weekdays = (7, b"\xf8")
    cal = calendar([entry(1, 32, 0, 0, weekdays), entry(2, 33, 6, 0, weekdays), entry(3, 32, 22, 0, weekdays)])
    assert cal["entries"][0] == [0, True, 0b11111, 0, [0xFFFF, 1, 1], [0xFFFF, 12, 31]]
    for hours, inside in ((1, True), (5.9, True), (6, False), (12, False), (22, True), (23.9, True)):
        assert nd_calendar.in_period(cal, MONDAY + int(hours * HOUR)) is inside, hours
    saturday = MONDAY + 5 * 24 * HOUR
    assert not nd_calendar.in_period(cal, saturday + HOUR) and not nd_calendar.in_period(cal, saturday + 23 * HOUR)
    # a disabled entry never runs
    assert not nd_calendar.in_period(calendar([entry(1, 32, 0, 0, enabled=0)]), MONDAY + HOUR)


def test_special_days_run_only_their_own_entries_within_the_dates():
    # special day id 2 is 5 January every year: a period all day; the weekday entries do not run on it
    special = [(b"\xff\xff\x01\x05\xff", 2)]
    cal = calendar([entry(1, 32, 0, 0, specdays=(5, b"\x40")), entry(2, 33, 0, 0, weekdays=(7, b"\xfe"))], special)
    assert nd_calendar.in_period(cal, MONDAY + 12 * HOUR)
    assert not nd_calendar.in_period(cal, MONDAY + 24 * HOUR + HOUR)  # 6 January: a weekday, its entry ends it
    # a window across the new year (November to February) and one with fixed years
    winter = calendar([entry(1, 32, 0, 0, dates=(b"\xff\xff\x0b\x01\xff", b"\xff\xff\x02\x1c\xff"))])
    assert nd_calendar.in_period(winter, MONDAY + HOUR)
    past = calendar([entry(1, 32, 0, 0, dates=(b"\x07\xde\x0a\x1b\xff", b"\x07\xdf\x03\x1c\xff"))])
    assert not nd_calendar.in_period(past, MONDAY + HOUR)


def test_a_schedule_of_other_scripts_or_shapes_is_refused():
    for bad in ((0x01, [entry(1, 0x33, 0, 0)]), (0x02, []), (0x01, [(0x02, [(0x12, 1)])]),
                (0x01, [entry(1, 32, 0, 0, weekdays=(5, b"\x00"))])):
        try:
            nd_calendar.schedule(bad)
        except nd_calendar.CalendarError:
            continue
        raise AssertionError("took %r" % (bad,))


def test_exhausted_credit_inside_a_period_is_suspended_then_disabled_after_it():
    state = credit.defaults()
    account = Account(state)
    account.set_calendar(calendar([entry(1, 32, 0, 0), entry(2, 33, 6, 0)]), MONDAY)
    assert account.consume(1, MONDAY + HOUR) == [credit.LOW_CREDIT, credit.DISABLEMENT_SUSPENDED]
    assert state["exhausted"] and state["suspended"] and not account.wants_disabled()
    assert account.tick(MONDAY + 7 * HOUR) == [credit.DISABLEMENT]
    assert account.wants_disabled()
