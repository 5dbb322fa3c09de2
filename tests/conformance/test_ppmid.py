"""The PPMID as the consumer's way to top up (BAD 7.3.2.5.5): a UTRN typed on the PPMID reaches the ESME as a ZSE
Consumer Top Up, which the ESME credits, answers on the air and reports like a keypad entry (its CS01a response to
the supplier and 0x810E "Credit Added Locally" with the UTC time).

Topology: CH commissioned, the PPMID and the ESME on its HAN, the ESME commissioned, SRV 8.7.1 joining them both
ways (CS03A2, CS03A1). The ESME is the device under test; the rig's PPMID carries the consumer's entry. Checks read
the air (the ZSE exchange), the DCC core (the verified CS01a report and device alerts) and the ESME's display.
(A PPMID absent from the ESME's Device Log is ignored: scenario 75, shown by test_pairing.py's scenario 32 test.)
"""
from __future__ import annotations

import pytest

from harness.dcc import prepayment as pp
from harness.dcc.devices import CS03A1
from harness.zigbee import prepayment as zse
from test_pairing import accepted_top_up, esme_listed_by_ppmid, joined, top_up_responses, type_on_ppmid, utrn_for

CREDIT_ADDED_LOCALLY = 0x810E


@pytest.mark.scenario(74)
@pytest.mark.clause("BAD 7.3.2.5.5 (Consumer UTRN at PPMID: ESME via ZSE Consumer Top Up; credit, CS01a report, "
                    "0x810E with UTC time)")
@pytest.mark.roles("chf", "esme", "ppmid")
@pytest.mark.dut("esme")
@pytest.mark.ui("ppmid", "esme")
def test_utrn_typed_on_the_ppmid_credits_the_esme_and_is_reported(han, ui, evidence):
    keypad, meter = ui("ppmid"), ui("esme")
    esme_listed_by_ppmid(han)
    assert joined(han, "esme", CS03A1, "ppmid", critical=True).ok, "precondition: the ESME did not take CS03A1"
    counter = 1 << 32

    # Action: the consumer types a valid £5 UTRN on the PPMID (it goes to the ESME as a ZSE Consumer Top Up)
    typed = type_on_ppmid(han, keypad, evidence, utrn_for(han, counter), "PPMID joined both ways")

    # "PPMID UTRN → ESME via ZSE top-up → credit": ACCEPTED on the air, the CS01a report, the balance up by £5
    answered = top_up_responses(han, typed)
    assert answered and answered[0][1].result is zse.ResultType.ACCEPTED, \
        f"the ESME did not accept the PPMID's top-up on the air: {[r.result.name for _, r in answered]}"
    assert accepted_top_up(han, typed, counter), "no accepted CS01a report of the PPMID's top-up reached the DCC"
    meter.press("*")
    shown = meter.display()
    evidence.append("prepayment.txt", f"ESME shows {shown!r}")
    assert "CREDIT 5.00" in shown, f"the ESME's balance is not £5 after the PPMID's top-up: {shown!r}"
    # "+ 0x810E" with the UTC time of the top-up
    alerts = [pp.device_alert(a) for a in han.devices.alerts if a.header.originator == han.eui("esme")]
    added = [a for a in alerts if a is not None and a.code == CREDIT_ADDED_LOCALLY]
    assert added, f"no 0x810E alert; device alerts: {[hex(a.code) for a in alerts if a]}"
    assert abs(added[0].time - typed) <= 30.0, f"0x810E says {added[0].time}, the UTRN was typed at {typed}"
