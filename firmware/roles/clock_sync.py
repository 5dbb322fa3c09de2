# A meter's own clock and its daily synchronisation with its CH (BAD 7.5.7.5.2): the meter keeps time with its own
# crystal; at most once a day it takes the CH's time, but only when the adjustment is 10 s or less; a larger one is
# not made and the meter raises 0x8F0C "Clock not adjusted". SRV 6.11 (ECS70 / GCS28) then sets the clock to the
# CH's time when that lies inside the command's validity window (firmware/roles/set_clock.py).
# When the CH has no valid time (its Time cluster says neither Master nor Synchronized, as the host half reads it:
# link method "ch.time" {"valid"}), neither the daily synchronisation nor SRV 6.11 touches the meter's clock: it is
# left unchanged (BAD 7.5.7.5.2: "CH silent / no valid time => unchanged").
# [I] The CH's time is the board's clock (emulated boards follow the run's clock, whose authority is the CH); the
# meter's own clock is that plus the drift its crystal has built up (bench stimulus "stim.clock_drift").
SYNC_PERIOD_MS = 24 * 3600 * 1000
MAX_ADJUST_MS = 10000
CLOCK_NOT_ADJUSTED = 0x8F0C


def defaults():
    return {"drift_ms": 0, "synced_ms": None, "ch_valid": True}


def ch_valid(clock):
    """Whether the CH's time was valid when last read (valid until read otherwise)."""
    return clock.get("ch_valid", True)


def drift(clock, ms):
    """The meter's crystal has run `ms` fast (negative: slow) since its last synchronisation."""
    clock["drift_ms"] += ms


def adopt(clock, ch_ms):
    """The meter's clock is set to the CH's time (a successful Set Clock, or a daily synchronisation)."""
    clock["drift_ms"] = 0
    clock["synced_ms"] = ch_ms


def daily(clock, ch_ms, adjust_any=False):
    """The daily synchronisation, when one is due at `ch_ms`: adjust by at most 10 s; True when the meter must raise
    0x8F0C instead (`adjust_any`: the defect that adjusts whatever the difference). No synchronisation is due while
    the CH has no valid time: the clock is left unchanged until it has."""
    if not ch_valid(clock):
        return False
    if clock["synced_ms"] is None:
        clock["synced_ms"] = ch_ms
        return False
    if ch_ms - clock["synced_ms"] < SYNC_PERIOD_MS:
        return False
    clock["synced_ms"] = ch_ms
    if abs(clock["drift_ms"]) <= MAX_ADJUST_MS or adjust_any:
        clock["drift_ms"] = 0
        return False
    return True
