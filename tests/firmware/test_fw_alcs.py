# The ALCS calendar rules (firmware/supply_control.py, BAD 7.5.5) beyond the daily case: weekdays, and the meter
# role's defects that break them (firmware/roles/supply.py). Runs under CPython and MicroPython.
from firmware import supply_control as sc
from firmware.roles import supply as supply_role
from test_fw_supply_control import MIN, T0, supply

DAY = 24 * 60 * MIN
WEEKDAYS = 0xF8  # Monday to Friday, Monday in the top bit


def test_a_switching_runs_only_on_its_weekdays():
    # T0, 2026-01-01, is a Thursday: a weekday switching at 01:00 runs Thursday and Friday, not at the weekend
    s = supply(offset=lambda limit_s: 0, alc_schedule=[{"minute": 60, "on": True, "days": WEEKDAYS},
                                                       {"minute": 120, "on": False}])
    s.tick(T0)
    ran = []
    for day in range(5):  # Thursday .. Monday
        s.tick(T0 + day * DAY + 61 * MIN)
        ran.append(s.s["alc_on"])
        s.tick(T0 + day * DAY + 121 * MIN)
    assert ran == [True, True, False, False, True]


def test_an_offset_beyond_the_limit_is_what_the_defect_draws():
    for limit_s in (1, 600):
        for _ in range(50):
            assert limit_s * 1000 < supply_role._beyond_limit(limit_s) <= 2 * limit_s * 1000


def test_a_meter_ignoring_the_supply_state_switches_while_disabled():
    s = sc.Supply(dict(sc.defaults(), alc_schedule=[{"minute": 60, "on": True}]), offset=lambda limit_s: 0,
                  alc_needs_enabled=False)
    s.disable()
    s.tick(T0)
    s.tick(T0 + 61 * MIN)
    assert s.s["alc_on"] and not s.on()
