"""The DCC's SRV 6.14.2 (harness/dcc/alcs.py) against the RTDS: the ECS46c payload it builds is the RTDS command's,
and it reads the response's results."""
from __future__ import annotations

from harness.dcc import alcs
from harness.dcc.prepayment import dlms_success
from test_supply_rtds import rtds  # noqa: F401 (fixture)

EVERY_DAY, WEEKDAYS, WEEKEND = 0xFE, 0xF8, 0x06
ANY_DATE = bytes.fromhex("FFFFFFFFFF")
SUMMER = (bytes.fromhex("FFFF0615FF"), bytes.fromhex("FFFF0915FF"))  # 21 June to 21 September, any year
# The RTDS calendar: the ESME's ALCS on 06:00-10:00 every day; switch 2 on 17:00-21:00 on weekdays and
# 13:00-21:00 at weekends in summer; Christmas, Boxing Day and two further special days.
RTDS_SCHEDULE = [
    alcs.Switching(1, 1, True, 6, 0), alcs.Switching(2, 1, False, 10, 0),
    alcs.Switching(3, 2, True, 17, 0, weekdays=WEEKDAYS, begin=SUMMER[0], end=SUMMER[1]),
    alcs.Switching(4, 2, False, 21, 0, weekdays=WEEKDAYS, begin=SUMMER[0], end=SUMMER[1]),
    alcs.Switching(5, 2, True, 13, 0, weekdays=WEEKEND, special_days=0xF0, begin=SUMMER[0], end=SUMMER[1]),
    alcs.Switching(6, 2, False, 21, 0, weekdays=WEEKEND, special_days=0xF0, begin=SUMMER[0], end=SUMMER[1]),
]
RTDS_SPECIAL_DAYS = ((1, bytes.fromhex("FFFF0C19FF"), 1), (2, bytes.fromhex("FFFF0C1AFF"), 2),
                     (3, bytes.fromhex("07DF0403FF"), 3), (4, bytes.fromhex("07DF081FFF"), 4))


def test_calendar_payload_is_the_rtds_command(rtds):
    command = rtds("ECS46c_6.14.2_IMMEDIATE_SOME_OPTIONALS_SUCCESS_COMMAND")
    switches = (alcs.OWN_ALCS, bytes.fromhex("00DB123456789097"))
    built = alcs.calendar_payload(RTDS_SCHEDULE, switches, RTDS_SPECIAL_DAYS)(command.counter)
    assert built == command.payload
    assert dlms_success("ECS46c", rtds("ECS46c_6.14.2_IMMEDIATE_SOME_OPTIONALS_SUCCESS_RESPONSE").payload, 6)
    assert not dlms_success("ECS46c", rtds("ECS46c_6.14.2_FUTURE_DATED_ALL_OPTIONALS_ERROR_RESPONSE").payload, 9)
