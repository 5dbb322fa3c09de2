"""DCC supply and load control services (harness/dcc/supply.py, load_control.py) against the RTDS: the ECS42 / ECS43 /
ECS81 / ECS28a / ECS47 payloads they build are the RTDS commands', and they read their responses' results."""
from __future__ import annotations

import pytest

from harness.dcc import supply
from harness.dcc.prepayment import dlms_success
from harness.errors import ConformanceFailure
from harness.gbcs.apdu import Message


@pytest.fixture
def rtds(shared):
    folder = shared("rtds", "RTDS-4.5.0")

    def message(name: str):
        path = next(folder.glob(f"*/{name}_GBCS.HEX"))
        return Message.decode(bytes.fromhex("".join(path.read_text().split()))).grouping

    return message


@pytest.mark.parametrize("code, name", [(supply.ECS42, "ECS42_7.1"), (supply.ECS43, "ECS43_7.2")])
def test_script_payloads_are_the_rtds_commands(rtds, code, name):
    command = rtds(f"{name}_SUCCESS_COMMAND")
    assert supply.script_payload(code)(command.counter) == command.payload
    assert dlms_success(name, rtds(f"{name}_SUCCESS_RESPONSE").payload)
    assert not dlms_success(name, rtds(f"{name}_ERROR_RESPONSE").payload)


def test_tamper_state_and_load_limit_payloads_are_the_rtds_commands(rtds):
    ecs81 = rtds("ECS81_6.25_SUCCESS_COMMAND")
    assert supply.tamper_state_payload(True)(ecs81.counter) == ecs81.payload
    ecs28a = rtds("ECS28a_6.4.1_CANCELLATION_SUCCESS_COMMAND")
    assert supply.load_limit_payload(6900, 30, 300, True)(ecs28a.counter) == ecs28a.payload
    assert dlms_success("ECS28a", rtds("ECS28a_6.4.1_CANCELLATION_SUCCESS_RESPONSE").payload, 8)


def test_a_supply_status_response_of_another_layout_is_a_failure():
    with pytest.raises(ConformanceFailure):
        supply.supply_status("GCS39", supply.change_supply_payload(supply.ARMED, 1_800_000_000))


def test_ecs47_activate_payload_is_the_rtds_command(rtds):
    from harness.dcc import load_control

    command = rtds("ECS47Activate_7.5_SUCCESS_COMMAND")
    assert load_control.activate_payload(30)(command.counter) == command.payload
    assert dlms_success("ECS47", rtds("ECS47Activate_7.5_SUCCESS_RESPONSE").payload, 2)
    assert not dlms_success("ECS47", rtds("ECS47Activate_7.5_ERROR_RESPONSE").payload, 2)
