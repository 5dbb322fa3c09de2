# The non-disablement calendar as SRV 2.1 sets it on an ESME (ECS08, RTDS 2.1_ECS08): a DLMS schedule (class 10,
# 0-1:12.0.1.255) whose entries run script 32 or 33 of the script table 0-0:10.0.106.255 at a time of day, on the
# weekdays and special days they name, between two dates; and the special days table (class 11, 0-1:11.0.2.255).
# Converted to plain lists the board keeps on flash, and evaluated at a UTC time. Runs under MicroPython and CPython.
#
# Read from the RTDS, inferred [I] in this one place:
# - [I] script 32 starts a non-disablement period and script 33 ends it (the RTDS's 32 at 00:00 and 22:00, 33 at
#   09:30 and 07:30: night periods).
# - [I] exec_weekdays is 7 bits, the first Monday; exec_specdays is one bit per special day id, the first id 1. On a
#   special day only the entries naming its id run; on other days those naming the weekday.
# - [I] a date (COSEM date, 5 octets) with year 0xFFFF recurs every year; month 0xFF or day 0xFF match any. The
#   period in force at a time is the one the day's last entry at or before that time began (none that day: none).
from firmware.cosem import _civil

SCHEDULE = (10, b"\x00\x01\x0c\x00\x01\xff", 2)
SPECIAL_DAYS = (11, b"\x00\x01\x0b\x00\x02\xff", 2)
SCRIPT_TABLE = b"\x00\x00\x0a\x00\x6a\xff"
START, END = 32, 33
DAY_MS = 86400000


class CalendarError(ValueError):
    """A schedule or special days value that is not the calendar's layout."""


def _date(octets):
    if not isinstance(octets, bytes) or len(octets) != 5:
        raise CalendarError("a COSEM date is 5 octets")
    return [(octets[0] << 8) | octets[1], octets[2], octets[3]]


def _bits(value, count):
    """The bitmask (bit i = the i-th bit, MSB first) of a DLMS bit-string of `count` bits."""
    n, raw = value
    if n != count or len(raw) != (count + 7) // 8:
        raise CalendarError("expected a bit-string of %d bits" % count)
    whole = int.from_bytes(raw, "big") >> (8 * len(raw) - count)
    return sum(1 << i for i in range(count) if whole & (1 << (count - 1 - i)))


def special_days(data):
    """[[year, month, day, id], ...] from the special days table's entries array (decoded DLMS)."""
    tag, items = data
    if tag != 0x01:
        raise CalendarError("special days must be an array")
    out = []
    for tag, fields in items:
        if tag != 0x02 or len(fields) != 3:
            raise CalendarError("a special day is {index, date, day id}")
        out.append(_date(fields[1][1]) + [fields[2][1]])
    return out


def schedule(data):
    """[[minute of day, starts?, weekday mask, special day mask, begin date, end date], ...] from the schedule's
    entries array (decoded DLMS); entries of other scripts are refused."""
    tag, items = data
    if tag != 0x01:
        raise CalendarError("the schedule must be an array")
    out = []
    for tag, fields in items:
        if tag != 0x02 or len(fields) != 10:
            raise CalendarError("a schedule entry has 10 fields")
        script, selector, at = fields[2][1], fields[3][1], fields[4][1]
        if script != SCRIPT_TABLE or selector not in (START, END) or not isinstance(at, bytes) or len(at) != 4:
            raise CalendarError("not a non-disablement script entry")
        if not fields[1][1]:
            continue  # a disabled entry never runs
        out.append([at[0] * 60 + at[1], selector == START, _bits(fields[6][1], 7), _bits(fields[7][1], 5),
                    _date(fields[8][1]), _date(fields[9][1])])
    return out


def _matches(pattern, date):
    return all(p in (0xFFFF, 0xFF) or p == d for p, d in zip(pattern, date))


def _within(begin, end, date):
    """`date` lies in [begin, end]; a recurring (year 0xFFFF) window compares month and day, across new year too."""
    if begin[0] != 0xFFFF and end[0] != 0xFFFF:
        return begin <= date <= end
    b, e, d = begin[1:], end[1:], date[1:]
    return b <= d <= e if b <= e else (d >= b or d <= e)


def in_period(calendar, now_ms):
    """True when the calendar ({"entries", "special"}) puts `now_ms` in a non-disablement period."""
    day = now_ms // DAY_MS
    date = list(_civil(day))
    weekday = (day + 3) % 7
    minute = (now_ms % DAY_MS) // 60000
    special = None
    for entry in calendar["special"]:
        if _matches(entry[:3], date):
            special = entry[3]
            break
    last = None
    for at, starts, weekdays, specdays, begin, end in calendar["entries"]:
        if special is not None:
            runs = special >= 1 and specdays & (1 << (special - 1))
        else:
            runs = weekdays & (1 << weekday)
        if runs and at <= minute and _within(begin, end, date) and (last is None or at >= last[0]):
            last = (at, starts)
    return last is not None and last[1]
