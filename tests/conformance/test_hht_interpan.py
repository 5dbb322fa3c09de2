"""Install and Leave: the installer's HHT reaches the CH over inter-PAN (BAD 7.2.2.6.3 a-c).

Topology: the CH (its CHF) is the device under test, or the HHT is; the rig emulates the other. Actions are CH
power-ons, clock advances (virtual: an hour passes at once), beacon scans and inter-PAN key establishment. Each
check quotes the step it enforces; every attempt's time and the CH's power-on time go to the evidence.
"""
from __future__ import annotations

import pytest

from harness.zse import ke
from harness.zse import ke_frames as kf
from harness.zse.bench_ca import BenchCA
from hht_steps import attempt

WINDOW = 60 * 60  # "CH opens inter-PAN for 60 minutes after power-on"


def ch_answers(han) -> list:
    """KE frames the CH sent to the HHT."""
    hht = han.provisioning.han("hht").eui_int
    return [f for f in han.chf.ke_log if f.direction == "tx" and f.peer == hht]


@pytest.mark.scenario(34)
@pytest.mark.clause("BAD 7.2.2.6.3 (a-c)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf", "hht")
def test_interpan_cbke_within_the_window(han, evidence):
    power_on = han.power_on_ch()
    han.run_for(10 * 60)
    outcome = attempt(han, evidence, power_on)

    # "HHT discovers CHFs in range" (checked in attempt) and "HHT↔CHF CBKE over inter-PAN" within 60 minutes
    assert outcome.established, f"inter-PAN key establishment failed {han.clock.now() - power_on:.0f} s after " \
                                f"power-on: {outcome.detail}"
    assert han.chf.interpan_keys.get(han.provisioning.han("hht").eui_int) == outcome.key, \
        "the CH does not hold the key the HHT derived"


@pytest.mark.scenario(35)
@pytest.mark.clause("BAD 7.2.2.6.3 (a); SECMP0037 baseline")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf")
def test_interpan_refused_after_the_window(han, evidence):
    power_on = han.power_on_ch()
    han.run_for(WINDOW + 60)
    outcome = attempt(han, evidence, power_on)

    # "Inter-PAN attempt after 60 min (+ε) → refused"
    assert not outcome.established, "the CH completed inter-PAN key establishment after its 60-minute window"
    assert not ch_answers(han), "the CH answered inter-PAN key establishment after its 60-minute window"


@pytest.mark.scenario(36)
@pytest.mark.clause("BAD 7.2.2.6.3 (a)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf")
def test_window_restarts_at_each_power_on(han, evidence):
    han.power_on_ch()
    han.run_for(WINDOW + 60)
    power_on = han.power_on_ch()  # the CH is power-cycled after its first window has closed
    han.run_for(5 * 60)
    outcome = attempt(han, evidence, power_on)

    # "After a CH power cycle the window is measured from the new power-on"
    assert outcome.established, f"refused 5 minutes after a power-on: {outcome.detail}"


def _foreign(han, role: str) -> ke.Credentials:
    issued = BenchCA(2, seed="a CA nobody on this bench trusts", issuer=b"FOREIGN1").issue(han.eui(role))
    return ke.Credentials(2, issued.cert_bytes, issued.private_key, han.provisioning.ca.public_key)


@pytest.mark.scenario(38)
@pytest.mark.clause("BAD 7.2.2.6.3 (c); ZSE 1.2a C.3 (CBKE certificate checks)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf")
def test_hht_with_invalid_credentials_refused(han, evidence):
    power_on = han.power_on_ch()
    han.hht().credentials = _foreign(han, "hht")
    outcome = attempt(han, evidence, power_on)

    # "HHT with invalid credentials → inter-PAN CBKE fails, no command accepted": the CH terminates at once
    answers = ch_answers(han)
    assert answers, "the CH never answered the Initiate Key Establishment Request"
    assert answers[0].terminate_status == kf.Status.UNKNOWN_ISSUER, \
        f"the CH answered {answers[0].command}, expected Terminate UNKNOWN_ISSUER"
    assert not outcome.established
    assert han.provisioning.han("hht").eui_int not in han.chf.interpan_keys


@pytest.mark.scenario(38)
@pytest.mark.clause("BAD 7.2.2.6.3 (c); ZSE 1.2a C.3 (CBKE certificate checks)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("hht")
def test_hht_refuses_a_ch_with_invalid_credentials(han, evidence):
    power_on = han.power_on_ch()
    han.chf.credentials = _foreign(han, "chf")
    outcome = attempt(han, evidence, power_on)

    # The HHT must not establish a key with a CH whose certificate it cannot trust: Terminate UNKNOWN_ISSUER.
    assert ch_answers(han), "the CH never answered the HHT's Initiate, so the HHT's certificate check went untested"
    sent = [f for f in han.hht().ke_log if f.direction == "tx"]
    assert len(sent) >= 2 and sent[1].terminate_status == kf.Status.UNKNOWN_ISSUER, \
        f"the HHT answered {sent[1].command if len(sent) > 1 else 'nothing'}, expected Terminate UNKNOWN_ISSUER"
    assert not outcome.established
