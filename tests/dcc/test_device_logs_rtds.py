"""The DCC's SRV 6.13 log reads and SRV 3.3 log clear (harness/dcc/device_logs.py) against the RTDS: the ECS35a,
ECS35b and ECS15c payloads it builds are the RTDS commands', and it reads the responses' entries and results."""
from __future__ import annotations

import pytest

from harness.dcc import device_logs as logs
from harness.errors import ConformanceFailure
from test_supply_rtds import rtds  # noqa: F401 (fixture)

RTDS_FROM, RTDS_TO = 0x1C35F900 + logs.GB_EPOCH, 0x1C374A80 + logs.GB_EPOCH  # 2015-01-01 .. 2015-01-16


@pytest.mark.parametrize("name, log", [("ECS35a_6.13", logs.EVENT_LOG), ("ECS35b_6.13", logs.SECURITY_LOG)])
def test_log_read_payloads_are_the_rtds_commands(rtds, name, log):
    command = rtds(f"{name}_SUCCESS_COMMAND")
    assert command.message_code == logs.READS[log]
    assert logs.read_payload(command.counter, log, RTDS_FROM, RTDS_TO) == command.payload
    assert logs.entries(rtds(f"{name}_ERROR_RESPONSE").payload, log) is None


def test_event_log_response_entries(rtds):
    found = logs.entries(rtds("ECS35a_6.13_SUCCESS_RESPONSE").payload, logs.EVENT_LOG)
    assert found[0] == logs.Entry(0x1C35F900 + logs.GB_EPOCH, 0x8F01)
    assert found[2] == logs.Entry(0x1C361064 + logs.GB_EPOCH, 0x8154, bytes.fromhex("009B"))
    assert [e.time for e in found] == sorted(e.time for e in found)


def test_security_log_response_entries(rtds):
    found = logs.entries(rtds("ECS35b_6.13_SUCCESS_RESPONSE").payload, logs.SECURITY_LOG)
    assert found[:2] == [logs.Entry(0x1C35F900 + logs.GB_EPOCH, 0x8F0C), logs.Entry(0x1C3602FD + logs.GB_EPOCH, 0x8F1C)]
    assert all(e.extra == b"" for e in found)


def test_clear_payload_is_the_rtds_ecs15c_command(rtds):
    command = rtds("ECS15c_3.3_SUCCESS_COMMAND")
    assert command.message_code == logs.ECS15C
    assert logs.clear_payload(command.counter, logs.ALCS_LOG) == command.payload
    assert logs.action_result(rtds("ECS15c_3.3_SUCCESS_RESPONSE").payload) == 0
    assert logs.action_result(rtds("ECS15c_3.3_ERROR_RESPONSE").payload) != 0


@pytest.mark.parametrize("payload", [b"", b"\xDA\x20\x00\x00\x01", bytes.fromhex("DA200003E8000001130203061209"
                                                                                   "0401020304" "010100")])
def test_malformed_log_responses_are_failures(payload):
    with pytest.raises(ConformanceFailure):
        logs.entries(payload, logs.EVENT_LOG)
