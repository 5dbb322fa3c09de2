"""Install and Leave: the installer's HHT reaches the CH over inter-PAN (BAD 7.2.2.6.3 a-c).

Topology: the CH (its CHF) and the HHT; each test's `dut` marker says which it can judge, the rig emulates the
other. Actions are CH power-ons, clock advances (virtual: an hour passes at once) and the installer having the HHT
connect to the CH. Checks read the air only; every attempt's time and the CH's power-on time go to the evidence.
"""
from __future__ import annotations

import pytest

from harness.errors import BenchFault
from harness.zse import ke
from harness.zse import ke_frames as kf
from harness.zse.bench_ca import BenchCA
from hht_steps import WINDOW, connect, interpan_established
from han_steps import terminated


@pytest.mark.scenario(34)
@pytest.mark.clause("BAD 7.2.2.6.3 (a-c)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf", "hht")
@pytest.mark.duration(10 * 60 + 60)
def test_interpan_cbke_within_the_window(han, evidence):
    power_on = han.power_on_ch()
    han.run_for(10 * 60)
    connect(han, evidence, power_on)

    # "HHT discovers CHFs in range" and "HHT↔CHF CBKE over inter-PAN" within 60 minutes of the CH's power-on
    done = interpan_established(han.air(), han.eui_int("chf"), han.eui_int("hht"))
    assert done.time - power_on <= WINDOW


@pytest.mark.scenario(35)
@pytest.mark.clause("BAD 7.2.2.6.3 (a); SECMP0037 baseline")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf")
@pytest.mark.duration(WINDOW + 60)
def test_interpan_refused_after_the_window(han, evidence):
    chf, hht = han.eui_int("chf"), han.eui_int("hht")
    power_on = han.power_on_ch()
    # Actions: the HHT connects just before the 60 minutes are up (answered: the positive control), then just after.
    han.run_for(WINDOW - 60)
    connect(han, evidence, power_on, initiate_at=power_on + WINDOW - 5)
    han.run_for(max(0.0, power_on + WINDOW + 1 - han.clock.now()))
    connect(han, evidence, power_on)

    air = han.air()
    initiates = air.filter(layer="ke", src=hht, dst=chf, command="initiate_ke_request").all()
    inside = [p for p in initiates if p.time - power_on <= WINDOW]
    outside = [p for p in initiates if p.time - power_on > WINDOW]
    if not inside or not outside:
        offsets = [round(p.time - power_on, 3) for p in initiates]
        raise BenchFault(f"the rig did not place attempts on both sides of the window: {offsets}")
    # "CH opens inter-PAN for 60 minutes after power-on": an Initiate at or before 60:00 is answered
    air.after(inside[0]).filter(layer="ke", src=chf, dst=hht, command="initiate_ke_response").before(outside[0]) \
        .must_next()
    # "Inter-PAN attempt after 60 min (+ε) → refused": no answer at all to an Initiate after 60:00
    air.after(outside[0]).filter(layer="ke", src=chf, dst=hht).must_not_next()
    evidence.append("interpan.txt", f"answered at +{inside[-1].time - power_on:.3f} s; "
                                    f"refused at +{outside[0].time - power_on:.3f} s (window {WINDOW} s)")


@pytest.mark.scenario(36)
@pytest.mark.clause("BAD 7.2.2.6.3 (a)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf")
@pytest.mark.duration(WINDOW + 60 + 5 * 60 + 60)
def test_window_restarts_at_each_power_on(han, evidence):
    chf, hht = han.eui_int("chf"), han.eui_int("hht")
    first = han.power_on_ch()
    han.run_for(WINDOW + 60)
    connect(han, evidence, first)              # the first window has closed: refused
    refused_until = han.clock.now()
    power_on = han.power_on_ch()  # the CH is power-cycled after its first window has closed
    han.run_for(5 * 60)
    connect(han, evidence, power_on)

    # The first window had closed: the attempt before the power cycle got no answer (so what follows is the restart)
    air = han.air()
    before = air.filter(layer="ke", src=hht, dst=chf, command="initiate_ke_request").must_next()
    air.filter(lambda p: p.time <= refused_until, layer="ke", src=chf, dst=hht).must_not_next()
    air.after(before)
    # "After a CH power cycle the window is measured from the new power-on"
    interpan_established(air, chf, hht)


def _foreign(han, role: str) -> ke.Credentials:
    issued = BenchCA(2, seed="a CA nobody on this bench trusts", issuer=b"FOREIGN1").issue(han.eui(role))
    return ke.Credentials(2, issued.cert_bytes, issued.private_key, han.provisioning.ca.public_key)


@pytest.mark.scenario(38)
@pytest.mark.clause("BAD 7.2.2.6.3 (c); ZSE 1.2a C.3 (CBKE certificate checks)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf")
def test_hht_with_invalid_credentials_refused(han, evidence):
    chf, hht = han.eui_int("chf"), han.eui_int("hht")
    power_on = han.power_on_ch()
    genuine = han.hht().credentials
    han.hht().credentials = _foreign(han, "hht")
    connect(han, evidence, power_on)
    han.hht().credentials = genuine
    connect(han, evidence, power_on)

    # "HHT with invalid credentials → inter-PAN CBKE fails, no command accepted": the CH terminates at once
    air = han.air()
    air.filter(layer="ke", src=hht, dst=chf, command="initiate_ke_request").must_next()
    terminated(air, chf, hht, kf.Status.UNKNOWN_ISSUER)
    # Positive control: with its genuine credentials the same HHT establishes the key
    interpan_established(air, chf, hht)


@pytest.mark.scenario(38)
@pytest.mark.clause("BAD 7.2.2.6.3 (c); ZSE 1.2a C.3 (CBKE certificate checks)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("hht")
def test_hht_refuses_a_ch_with_invalid_credentials(han, evidence):
    chf, hht = han.eui_int("chf"), han.eui_int("hht")
    power_on = han.power_on_ch()
    genuine = han.chf.credentials
    han.chf.credentials = _foreign(han, "chf")
    connect(han, evidence, power_on)
    han.chf.credentials = genuine
    connect(han, evidence, power_on)

    # The HHT must not establish a key with a CH whose certificate it cannot trust: Terminate UNKNOWN_ISSUER as its
    # answer to the CH's Initiate response
    air = han.air()
    air.filter(layer="ke", src=chf, dst=hht, command="initiate_ke_response").must_next()
    terminated(air, hht, chf, kf.Status.UNKNOWN_ISSUER)
    # Positive control: with the CH's genuine certificate the HHT completes key establishment
    interpan_established(air, chf, hht)
