"""The ESME's auxiliary load control switch calendar (BAD 7.5.5): the supplier sets the calendar (SRV 6.14.2,
ECS46c); at each calendar time the ESME checks that its supply is Enabled, applies a randomised offset within the
Randomised Offset Limit (default 600 s, BAD 7.5.5.5.1) and switches its ALCS; with the supply Disabled it does not.

Topology: CHF and the ESME on the HAN, installed and commissioned; the ESME is the device under test. The rig plays
the supplier (critical commands signed through the DCC core) and the consumer, who sees the ALCS through the
meter's UI adapter (its idle display says "ALCS ON" while the switch is on). The ESME's clock is UTC; switching
times are given in UTC [I].
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import alcs, supply
from meter_steps import Meter, commissioned

OFFSET_LIMIT = 600.0  # s: the default Randomised Offset Limit (BAD 7.5.5.5.1)
POLL = 10.0           # s between two looks at the meter's display
HOUR = 3600
# each test waits up to 70 minutes for a first whole hour, an hour more, and the offset limit
pytestmark = [pytest.mark.scenario(101), pytest.mark.roles("chf", "esme"), pytest.mark.dut("esme"),
              pytest.mark.ui("esme"), pytest.mark.duration(3 * HOUR)]


def alcs_on(meter: Meter) -> bool:
    return "ALCS ON" in meter.ui.display()


def next_hour(now: float) -> int:
    """The first whole UTC hour at least ten minutes away."""
    t = (int(now) // HOUR + 1) * HOUR
    return t if t - now >= 600 else t + HOUR


def at(index: int, t: int, on: bool) -> alcs.Switching:
    """Calendar entry `index`: the ESME's own ALCS on (or off) daily at the UTC time of day of `t`."""
    return alcs.Switching(index, 1, on, t // HOUR % 24, t // 60 % 60)


def set_calendar(meter: Meter, schedule: list[alcs.Switching]) -> None:
    out = alcs.set_calendar(meter.han.devices, SUPPLIER, meter.eui, schedule)
    meter.evidence.append("alcs.txt", f"{out}: {[(s.hour, s.minute, s.on) for s in schedule]}")
    assert out.done, f"the ESME did not take the ALCS calendar: {out}"


def watch(meter: Meter, until: float, on: bool, step: float = POLL) -> float | None:
    """Let time run to `until`, looking at the display every `step` seconds (and at `until`): when the ALCS was
    first seen `on`, or None."""
    while meter.han.clock.now() < until:
        meter.han.run_for(min(step, until - meter.han.clock.now()))
        if alcs_on(meter) == on:
            meter.evidence.append("alcs.txt", f"{meter.han.clock.now():.0f}: ALCS {'ON' if on else 'OFF'} "
                                              f"({meter.ui.display()!r})")
            return meter.han.clock.now()
    return None


def switching(meter: Meter, due: int, on: bool) -> float | None:
    """When the ALCS was seen switched `on` (or off) for the calendar time `due`: None when not by the end of the
    Randomised Offset Limit. The looks fall on `due` + a whole number of POLLs, the limit's end among them, so a
    switching within the limit is seen by its end and one after it is not."""
    early = watch(meter, due - POLL, on, step=6 * POLL)
    assert early is None, f"the ALCS switched {'on' if on else 'off'} at {early:.0f}: before its calendar time " \
                          f"{due}, and not within the Randomised Offset Limit of an earlier one that allowed it"
    seen = watch(meter, due + OFFSET_LIMIT, on)
    if seen is not None:
        meter.evidence.append("alcs.txt", f"switched {seen - due - POLL:.0f}..{seen - due:.0f} s after {due}")
    return seen


@pytest.mark.clause("BAD 7.5.5 (at calendar times the ESME checks supply Enabled, applies the randomised offset, "
                    "switches the ALCS); BAD 7.5.5.5.1 (Randomised Offset Limit default 600 s); GBCS ECS46c")
def test_alcs_switches_by_the_calendar_within_the_offset_limit(han, ui, evidence):
    meter = commissioned(Meter(han, ui("esme"), "esme", evidence))
    on_at = next_hour(han.clock.now())
    off_at = on_at + HOUR
    # Action: SRV 6.14.2 sets the calendar: the ALCS on at `on_at`, off an hour later
    set_calendar(meter, [at(1, on_at, True), at(2, off_at, False)])
    assert meter.ui.supply_on() and not alcs_on(meter), \
        f"precondition: supply on, ALCS off: {meter.ui.display()!r}"

    # "At calendar times ESME checks supply Enabled, applies randomised offset, switches ALCS": not before the time,
    # and within the Randomised Offset Limit after it
    seen = switching(meter, on_at, True)
    assert seen is not None, f"the ALCS did not switch on within {OFFSET_LIMIT:.0f} s of its calendar time"
    # the calendar's switching off, the same way
    seen = switching(meter, off_at, False)
    assert seen is not None, f"the ALCS did not switch off within {OFFSET_LIMIT:.0f} s of its calendar time"


@pytest.mark.clause("BAD 7.5.5 (calendar switching only when the supply is Enabled); GBCS ECS46c, ECS43, ECS42")
def test_alcs_does_not_switch_while_the_supply_is_disabled(han, ui, evidence):
    meter = commissioned(Meter(han, ui("esme"), "esme", evidence))
    first = next_hour(han.clock.now())
    second = first + HOUR
    # Action: the calendar switches the ALCS on at `first` and again at `second`; the supplier disables the supply
    set_calendar(meter, [at(1, first, True), at(2, second, True)])
    off = supply.send(han.devices, SUPPLIER, meter.eui, "esme", supply.ECS43)
    assert off.done and not meter.ui.supply_on(), f"precondition: SRV 7.2 did not disable the supply: {off}"

    # "switching only when supply Enabled": with the supply Disabled the calendar time passes with no switching
    seen = watch(meter, first + OFFSET_LIMIT + 2 * POLL, True, step=6 * POLL)
    assert seen is None, f"the ALCS switched on at {seen:.0f} with the supply disabled"
    # Positive control: enabled again (SRV 7.1), the next calendar time switches it within the offset limit
    on = supply.send(han.devices, SUPPLIER, meter.eui, "esme", supply.ECS42)
    assert on.done and meter.ui.supply_on(), f"precondition: SRV 7.1 did not enable the supply: {on}"
    seen = switching(meter, second, True)
    assert seen is not None, f"with the supply enabled the ALCS did not switch on within {OFFSET_LIMIT:.0f} s of " \
                             f"its calendar time"
