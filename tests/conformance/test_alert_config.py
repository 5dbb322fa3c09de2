"""Manage Alerts (BAD 7.5.6.1): the supplier configures the ESME's alert behaviour with SRV 6.22 (ECS25a2); a
configurable (non-critical) alert it disables no longer reaches the DCC, and a Critical alert cannot be disabled.

Topology: the CH commissioned and the ESME installed and commissioned on its HAN; the ESME is the device under test.
The rig plays the supplier (SRV 6.22 through the DCC core), the consumer (UTRNs typed on the meter's keypad through
its UI adapter: each raises 0x810E "Credit Added Locally", non-critical) and the bench (opening the meter's cover:
0x8F3F "Unauthorised Physical Access", critical). SRV 6.22 here clears every bit of the alert filter: it disables
every alert the filter names, whichever bit names which (harness/dcc/alert_config.py).
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import alert_config
from meter_steps import CARRIAGE, Meter, commissioned, device_alerts

CREDIT_ADDED_LOCALLY, TAMPER = 0x810E, 0x8F3F
pytestmark = [pytest.mark.scenario(104), pytest.mark.roles("chf", "esme"), pytest.mark.dut("esme"),
              pytest.mark.ui("esme")]


@pytest.fixture
def meter(han, ui, evidence) -> Meter:
    return commissioned(Meter(han, ui("esme"), "esme", evidence))


def configure_none(meter: Meter) -> bool:
    """SRV 6.22 disabling every alert the filter names: whether the ESME reported the change made."""
    _, response = meter.han.devices.request(SUPPLIER, meter.eui, alert_config.ECS25A2,
                                            lambda counter: alert_config.payload(counter, alert_config.NONE_ENABLED),
                                            critical=False, what="SRV 6.22")
    assert response is not None, f"no verified response to SRV 6.22; refused by the DCC: " \
                                 f"{[str(r) for r in meter.han.devices.rejected]}"
    done = alert_config.accepted(response.header.payload)
    meter.evidence.append("alerts.txt", f"{meter.han.clock.now():.0f} SRV 6.22 (no alert enabled): "
                                        f"{'done' if done else 'refused'}")
    return done


def top_up(meter: Meter, n: int, pounds: int) -> list[int]:
    """The consumer types the supplier's n-th UTRN: the device alerts that reached the DCC meanwhile."""
    before = len(device_alerts(meter))
    meter.ui.enter(meter.utrn(n << 32, pounds))
    meter.han.run_for(CARRIAGE)
    return device_alerts(meter)[before:]


@pytest.mark.clause("BAD 7.5.6.1 (Non-Critical alerts configurable on meters via SRV 6.22 by the Supplier); "
                    "GBCS ECS25a2")
def test_disabling_a_configurable_alert_stops_its_delivery(meter):
    # Positive control: before SRV 6.22 a keypad top-up's 0x810E reaches the DCC
    first = top_up(meter, 1, 10)
    assert CREDIT_ADDED_LOCALLY in first, f"precondition: no 0x810E for a keypad top-up: {[hex(c) for c in first]}"

    # Action: SRV 6.22 disables every configurable alert
    assert configure_none(meter), "the ESME refused SRV 6.22 (ECS25a2)"
    # "Non-Critical may be configurable (only meters via SRV 6.22)": the next top-up is credited, its 0x810E is not
    # delivered
    second = top_up(meter, 2, 5)
    assert "15.00" in meter.ui.display(), f"precondition: the second top-up was not credited: {meter.ui.display()!r}"
    assert CREDIT_ADDED_LOCALLY not in second, "0x810E still reached the DCC after SRV 6.22 disabled it"


@pytest.mark.clause("BAD 7.5.6.1 (Critical alerts cannot be disabled); GBCS ECS25a2")
def test_a_critical_alert_cannot_be_disabled(meter):
    # Action: SRV 6.22 disables every alert its filter names (refused, or done for the configurable ones only)
    done = configure_none(meter)
    # Positive control, same state: where the ESME took the change, a configurable alert is no longer delivered
    if done:
        typed = top_up(meter, 1, 10)
        assert CREDIT_ADDED_LOCALLY not in typed, "0x810E still reached the DCC after SRV 6.22 disabled it"
    # Action: unauthorised physical access (the meter's cover opened)
    before = len(device_alerts(meter))
    meter.han.device("esme").tamper()
    meter.han.run_for(CARRIAGE)
    # "Critical alerts cannot be disabled": 0x8F3F reaches the DCC
    after = device_alerts(meter)[before:]
    assert TAMPER in after, f"the critical 0x8F3F did not reach the DCC after SRV 6.22: {[hex(c) for c in after]}"
