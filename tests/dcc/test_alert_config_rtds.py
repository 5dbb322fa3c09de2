"""The DCC's SRV 6.22 (harness/dcc/alert_config.py) against the RTDS: the ECS25a2 payload it builds is the RTDS
command's, and it reads the responses' set result."""
from __future__ import annotations

import pytest

from harness.dcc import alert_config
from harness.gbcs.dlms import DlmsPayload
from test_supply_rtds import rtds  # noqa: F401 (fixture)


@pytest.mark.parametrize("variant", ["SUCCESS", "ERROR"])
def test_filter_payload_is_the_rtds_command(rtds, variant):
    command = rtds(f"ECS25a2_6.22_{variant}_COMMAND")
    assert command.message_code == alert_config.ECS25A2
    bits = DlmsPayload.decode(command.payload).data[0].value
    assert alert_config.payload(command.counter, bits) == command.payload


def test_set_results_are_read(rtds):
    assert alert_config.accepted(rtds("ECS25a2_6.22_SUCCESS_RESPONSE").payload)
    assert not alert_config.accepted(rtds("ECS25a2_6.22_ERROR_RESPONSE").payload)
