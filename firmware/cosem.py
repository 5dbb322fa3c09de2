# COSEM date-time (12 octets) from UTC milliseconds, computed without time.gmtime (whose epoch differs
# between ports): year(2) month day weekday hour minute second hundredths deviation(2) clock-status.


def _civil(days):
    """(year, month, day) of `days` since 1970-01-01 (proleptic Gregorian)."""
    days += 719468
    era = (days if days >= 0 else days - 146096) // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def date_time(utc_ms):
    """The 12-octet COSEM date-time for `utc_ms` (deviation 0, status 0x00: UTC, valid)."""
    secs = utc_ms // 1000
    days, rem = divmod(secs, 86400)
    y, m, d = _civil(days)
    weekday = (days + 3) % 7 + 1  # 1 = Monday; 1970-01-01 was a Thursday
    hundredths = (utc_ms % 1000) // 10
    return bytes([y >> 8, y & 0xFF, m, d, weekday, rem // 3600, (rem // 60) % 60, rem % 60,
                  hundredths, 0, 0, 0])
