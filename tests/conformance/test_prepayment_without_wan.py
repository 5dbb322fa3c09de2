"""Prepayment without the WAN (BAD 7.2.2.6.3 i; TAB DP094): with the CH's WAN down a UTRN typed on the meter still
tops it up, and what the meter then sends for the supplier (the unsolicited CS01a/b response and the 0x810E "Credit
Added Locally" alert) is held by the CHF and delivered to the DCC once the WAN returns, each once.

Topology: the CH and the meter (ESME or GSME) installed and commissioned; the CHF and the meter may each be the
device under test. The rig plays the supplier (a UTRN made with the bench SMKI's supplier prepayment key), the
consumer (the meter's keypad and display through its UI adapter) and the WAN (taken down and brought back, as the
CH's outward action). Checks read the DCC core (verified responses and alerts) and the meter's display.
"""
from __future__ import annotations

import pytest

from harness.dcc import prepayment as pp
from harness.dcc.devices import LOCAL_TOP_UP_ALERT
from meter_steps import CARRIAGE, Meter, commissioned

WAN_DOWN = 600.0  # seconds the WAN stays away after the top-up: long enough that a late alert's time would show it


def reports(meter: Meter) -> list:
    """The unsolicited CS01 responses the DCC accepted from the meter."""
    return [r for r in meter.han.devices.unsolicited if r.header.originator == meter.eui]


def credit_added(meter: Meter) -> list:
    """The 0x810E alerts the DCC accepted from the meter."""
    alerts = [pp.device_alert(a) for a in meter.han.devices.alerts if a.header.originator == meter.eui]
    return [a for a in alerts if a is not None and a.code == 0x810E]


@pytest.mark.scenario(76)
@pytest.mark.clause("BAD 7.2.2.6.3 i (CHF buffers Responses/Alerts while the WAN is down); TAB DP094; "
                    "BAD 7.3.2.5.5 (CS01a/b Response and 0x810E for a UTRN typed at the meter)")
@pytest.mark.duration(WAN_DOWN + 2 * CARRIAGE)
@pytest.mark.parametrize("role", [
    pytest.param(m, marks=[pytest.mark.roles("chf", m), pytest.mark.dut("chf", m), pytest.mark.ui(m)])
    for m in ("esme", "gsme")])
def test_local_top_up_without_wan_is_reported_when_the_wan_returns(han, ui, evidence, role):
    meter = commissioned(Meter(han, ui(role), role, evidence))
    # Action: the CH loses its WAN; the consumer types a £10 UTRN on the meter's keypad
    han.chf.set_wan(False)
    typed_at = han.clock.now()
    shown = meter.ui.enter(meter.utrn(1 << 32, 10))

    # "No-WAN: local top-ups work": the meter credits the UTRN
    assert "10.00" in meter.ui.display() or "10.00" in shown, f"the keypad UTRN was not credited: {shown!r}"
    han.run_for(WAN_DOWN)
    # nothing reaches the DCC while the WAN is down
    assert not reports(meter) and not credit_added(meter), "the DCC heard of the top-up with the CH's WAN down"

    # Action: the WAN returns
    han.chf.set_wan(True)
    han.run_for(CARRIAGE)

    # "resulting alerts buffered by CHF, delivered on WAN return": the CS01a/b response, once, with the UTRN's
    # counter, and the DCC's alert for it
    got = reports(meter)
    assert got, f"no CS01 response reached the DCC after the WAN returned; refused: {han.devices.rejected}"
    assert len(got) == 1, f"the DCC received the CS01 response {len(got)} times"
    assert pp.top_up_accepted(got[0].header.message_code, got[0].header.payload), \
        "the CS01 response says the UTRN was not applied"
    assert got[0].header.counter == 1 << 32, "the CS01 response does not carry the UTRN's counter"
    assert len(han.smi.alerts_for(meter.eui, LOCAL_TOP_UP_ALERT)) == 1, "the DCC did not alert the supplier once"
    # ... and 0x810E "Credit Added Locally", once, stamped with the time of the top-up, not of the WAN's return
    added = credit_added(meter)
    assert len(added) == 1, f"the DCC received {len(added)} 0x810E alerts for one top-up"
    assert abs(added[0].time - typed_at) <= 5.0, f"0x810E says {added[0].time}, the UTRN was typed at {typed_at}"
    assert not han.devices.rejected, f"the DCC refused messages from the CH: {[str(r) for r in han.devices.rejected]}"
