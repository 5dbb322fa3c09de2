"""Clock synchronisation of a meter (BAD 7.5.7.5.2): at most once a day the meter takes its CH's time, but only when
the adjustment is 10 s or less; a larger one is not made and the meter raises 0x8F0C "Clock not adjusted"; SRV 6.11
(ECS70, critical) then sets the clock to the CH's time when that lies inside the command's validity window, and
leaves it unchanged when not; while the CH has no valid time (its ZCL Time cluster says so), neither sets it.

Topology: the CH (CHF) and the ESME on the HAN, the ESME commissioned; the ESME is the device under test. The
rig makes the meter's own clock drift (a bench action: on a real meter, the time it was set to before installation),
takes the rig's CH's Network Time away and back, and lets virtual days pass. Checks read the DCC core only: the
alerts and the Set Clock response.
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import prepayment as pp
from harness.dcc import set_clock
from device_steps import commissioned

DAY = 24 * 3600.0
CLOCK_NOT_ADJUSTED = 0x8F0C
WINDOW = 60.0  # seconds either side of the CH's time in the SRV 6.11 validity window
TIME_READ = 3600.0 + 60.0  # seconds within which a meter reads its CH's time status again (emulators/ch_time.py)


def a_day_later(han) -> list[int]:
    """Let a day (and a minute) pass: the codes of the device alerts the ESME raised meanwhile (verified by the DCC)."""
    first = len(han.devices.alerts)
    han.run_for(DAY)
    han.run_for(60.0)  # what the meter raised at the end of the day reaches the DCC
    alerts = [pp.device_alert(a) for a in han.devices.alerts[first:] if a.header.originator == han.eui("esme")]
    return [a.code for a in alerts if a is not None]


def synchronise(han, start: float) -> tuple[float | None, bool]:
    """SRV 6.11 Synchronise Clock: a critical ECS70 with the validity window [start, start + 2 * WINDOW]; (the time
    the ESME reports, whether it set its clock) from its verified response."""
    _, response = han.devices.request(SUPPLIER, han.eui("esme"), set_clock.ECS70,
                                      lambda c: set_clock.ecs70_payload(c, start, start + 2 * WINDOW),
                                      critical=True, what="ECS70 (SRV 6.11)")
    assert response is not None, f"no verified ECS70 response; refused by the DCC: " \
                                 f"{[str(r) for r in han.devices.rejected]}"
    return set_clock.meter_time(set_clock.ECS70, response.header.payload)


@pytest.mark.scenario(106)
@pytest.mark.clause("BAD 7.5.7.5.2 (0x8F0C when the adjustment would exceed 10 s; SRV 6.11 ECS70 inside / outside "
                    "tolerance)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("esme")
def test_clock_beyond_10_s_is_not_adjusted_and_raises_0x8f0c(han):
    commissioned(han, "esme")  # SRV 8.1.1's ECS70 set the ESME's clock to the CH's time
    esme = han.device("esme")

    # Positive control: 5 s of drift; the next daily synchronisation adjusts it without an alert
    esme.drift_clock(5)
    codes = a_day_later(han)
    assert CLOCK_NOT_ADJUSTED not in codes, "the ESME raised 0x8F0C for an adjustment of 5 s"

    # Action: 30 s of drift, then a day passes
    esme.drift_clock(30)
    codes = a_day_later(han)
    # "0x8F0C when adjustment >10 s" ("clock not adjusted")
    assert CLOCK_NOT_ADJUSTED in codes, f"no 0x8F0C from the ESME whose clock is 30 s off its CH's " \
                                        f"(device alerts {[hex(c) for c in codes]}); refused by the DCC: " \
                                        f"{[str(r) for r in han.devices.rejected]}"

    # "6.11 … outside [tolerance] → unchanged/Unreliable": an ECS70 whose window ended an hour ago is not applied,
    # and the next day's synchronisation finds the clock still off
    reported, synced = synchronise(han, han.clock.now() - 3600.0 - WINDOW)
    assert not synced, f"the ESME set its clock from an ECS70 whose validity window had passed (reports {reported})"
    assert CLOCK_NOT_ADJUSTED in a_day_later(han), "the ESME's clock was adjusted by 30 s after raising 0x8F0C"

    # "6.11 within tolerance → Reliable": ECS70 with a window around the CH's time sets the meter's clock
    reported, synced = synchronise(han, han.clock.now() - WINDOW)
    assert synced and reported is not None and abs(reported - han.clock.now()) <= 2.0 + han.devices.response_time, \
        f"the ESME did not set its clock to the CH's time (reports {reported})"
    assert CLOCK_NOT_ADJUSTED not in a_day_later(han), "the ESME still raises 0x8F0C after SRV 6.11 set its clock"


@pytest.mark.scenario(106)
@pytest.mark.clause("BAD 7.5.7.5.2 (SRV 6.11 ECS70: CH without valid time -> the meter's clock unchanged)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("esme")
def test_clock_is_left_unchanged_while_the_ch_has_no_valid_time(han):
    commissioned(han, "esme")
    han.device("esme").drift_clock(30)  # the meter's own clock 30 s off its CH's

    # Topology: the CH has lost its Network Time, and the ESME has had time to read its CH's time status
    han.chf.set_time_valid(False)
    han.run_for(TIME_READ)

    # Action: SRV 6.11 with a validity window around the CH's time
    reported, synced = synchronise(han, han.clock.now() - WINDOW)
    # "CH without valid time → unchanged": the ECS70 is not applied
    assert not synced, f"the ESME set its clock from a CH without valid time (reports {reported})"

    # The CH has its time again: a day later the clock is still 30 s off (0x8F0C: it was left unchanged) ...
    han.chf.set_time_valid(True)
    assert CLOCK_NOT_ADJUSTED in a_day_later(han), "the ESME's clock was changed while its CH had no valid time"
    # ... and the same SRV 6.11 now sets it ("6.11 within tolerance → Reliable"; positive control)
    reported, synced = synchronise(han, han.clock.now() - WINDOW)
    assert synced, "the ESME did not set its clock by SRV 6.11 once its CH had valid time again"
