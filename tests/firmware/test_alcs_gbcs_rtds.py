"""The ESME's ALCS calendar handler (firmware/alcs_gbcs.py) against the RTDS: the ECS46c command's content sets the
calendar the board runs and is answered with the RTDS response's content (CPython)."""
from __future__ import annotations

import pytest

from firmware import alcs_gbcs
from firmware.gbcs.errors import ParseError
from test_prepay_gbcs_rtds import ESME, meter, rtds  # noqa: F401 (fixture)


def test_ecs46c_sets_the_alcs_calendar_and_answers_like_the_rtds(rtds, tmp_path):
    m, _ = meter(tmp_path, rtds.keystore, "esme", ESME)
    command = rtds("ECS46c_6.14.2_IMMEDIATE_SOME_OPTIONALS_SUCCESS_COMMAND")
    content = command.content
    # a truncated command is refused, not crashing, and changes nothing
    for cut in (10, len(content) // 2, len(content) - 1):
        command.content = content[:cut]
        with pytest.raises(ParseError):
            alcs_gbcs.handlers(m)[command.message_code](command)
    assert m.supply.s["alc_schedule"] == []
    command.content = content
    answer = alcs_gbcs.handlers(m)[command.message_code](command)
    assert answer == rtds("ECS46c_6.14.2_IMMEDIATE_SOME_OPTIONALS_SUCCESS_RESPONSE").content
    # the ESME's own switch (selector 0x01xx): on at 06:00, off at 10:00, every day; switch 2's entries are not its
    assert m.supply.s["alc_schedule"] == [{"minute": 360, "on": True, "days": 0xFE},
                                          {"minute": 600, "on": False, "days": 0xFE}]
