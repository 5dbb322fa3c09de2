"""Install and Leave: commands the HHT delivers locally to the CH over inter-PAN (BAD 7.2.2.6.2-4).

Topology: the CH (its CHF) and the HHT; the rig's DCC core prepares CCS01 commands for local delivery, the HHT
carries them over inter-PAN secured with the inter-PAN CBKE key and returns the responses (SRV 8.13). Checks
read the air, the responses through the DCC core and the CS14 alerts the CH raises over its WAN; each quotes the
step it enforces, and each refusal stands beside its positive control.
"""
from __future__ import annotations

import pytest

from han_steps import admitted, cs14_listing, join, key_established, new_key_in_use, not_admitted
from hht_steps import answers_on_air, connect, deliver, local_ccs01


def prepare(han, evidence, *roles: str) -> None:
    """CH power-on, the HHT connects; SRV 12.2 for `roles`."""
    connect(han, evidence, han.power_on_ch())
    for role in roles:
        han.prenotify(role)


@pytest.mark.scenario(37)
@pytest.mark.clause("BAD 7.2.2.6.3 (d)")
@pytest.mark.roles("chf", "hht", "esme")
@pytest.mark.dut("chf")
def test_hht_must_add_itself_first(han, evidence):
    prepare(han, evidence, "hht", "esme")

    # Actions: the HHT first delivers a device's CCS01, then its own, then (a fresh) device CCS01.
    early = deliver(han, local_ccs01(han, "esme"))
    early_done = han.clock.now()
    own = deliver(han, local_ccs01(han, "hht"))
    later = deliver(han, local_ccs01(han, "esme"))
    han.run_for(1)

    # "HHT sends device CCS01 before its own → refused": no response on the air, the log does not change
    (_, early_answer), (_, own_answer), (_, later_answer) = answers_on_air(han.air(), han.eui_int("chf"),
                                                                          han.eui_int("hht"))
    assert early is None and early_answer is None, \
        f"the CH answered a device CCS01 delivered before the HHT had added itself (frame #{early_answer.number})"
    assert not [t for t in cs14_listing(han, "esme") if t <= early_done], \
        "the CH added a device before the HHT had added itself (a CS14 lists it)"
    # "First command = CCS01 adding the HHT itself ⇒ CHF stores HHT credentials ⇒ CCS01 Response to HHT"
    assert own is not None and own_answer is not None, "the CH did not answer the HHT's own CCS01"
    assert han.dcc.return_local_response(han.eui("hht"), own).ok, "the HHT's CCS01 response reports a failure"
    # "For each device: HHT sends CCS01 ⇒ CHF adds creds ⇒ CCS01 Response"
    assert later is not None and later_answer is not None, "the CH did not answer the device CCS01"
    assert han.dcc.return_local_response(han.eui("esme"), later).ok
    assert cs14_listing(han, "hht") and cs14_listing(han, "esme"), "no CS14 lists the HHT and the device"


@pytest.mark.scenario(40)
@pytest.mark.clause("GBCS 4.3.1.5 (Originator Counter anti-replay); BAD 7.2.2.6.3 (d)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf")
def test_replayed_local_command_refused(han, evidence):
    prepare(han, evidence, "hht")
    command = local_ccs01(han, "hht")

    # Actions: the HHT delivers its CCS01, then the very same bytes again.
    first = deliver(han, command)
    replay = deliver(han, command)

    (_, first_answer), (_, replay_answer) = answers_on_air(han.air(), han.eui_int("chf"), han.eui_int("hht"))
    # Positive control: the command itself is accepted and answered
    assert first is not None and first_answer is not None, "the CH did not answer the HHT's CCS01"
    assert han.dcc.return_local_response(han.eui("hht"), first).ok
    # "Replay of an already-executed locally delivered command → rejected"
    assert replay is None and replay_answer is None, \
        "the CH executed a replayed command (its Originator Counter was not above the last)"


@pytest.mark.scenario(41)
@pytest.mark.clause("BAD 7.2.2.6.3 (e-f)")
@pytest.mark.roles("chf", "hht", "esme", "gsme", "ppmid")
@pytest.mark.dut("chf", "hht")
@pytest.mark.parametrize("source", [pytest.param("hht", marks=pytest.mark.policy(join_period_source="hht")),
                                    pytest.param("device", marks=pytest.mark.policy(join_period_source="device"))])
def test_joins_only_inside_the_hht_set_period(han, evidence, source):
    """Which period bounds the joins of the devices an HHT adds is read two ways, so it is a bench policy: 'hht'
    (the BAD as written: the period of the HHT's own CCS01, here 120 s) or 'device' (each device's CCS01: 60 s for
    the ESME, 600 s for the PPMID). Each case checks a join its reading admits and one it refuses."""
    prepare(han, evidence, "hht", "esme", "gsme", "ppmid")
    chf, hht = han.eui_int("chf"), han.eui_int("hht")

    # Actions: the HHT adds itself (120 s) and joins the HAN; it adds the GSME and the ESME (60 s) and the PPMID
    # (600 s). The GSME joins at once; the ESME 65 s after its CCS01; the PPMID after the HHT's 120 s.
    assert deliver(han, local_ccs01(han, "hht", period=120)) is not None, "the CH did not answer the HHT's CCS01"
    hht_added = han.clock.now()
    han.hht().join(chf)
    han.exchange_data("hht")
    for role, period in (("gsme", 60), ("esme", 60), ("ppmid", 600)):
        assert deliver(han, local_ccs01(han, role, period=period)) is not None, f"the CH did not answer the " \
                                                                                 f"{role}'s CCS01"
    devices_added = han.clock.now()
    join(han, "gsme", timeout=20)
    han.run_for(devices_added + 65 - han.clock.now())
    join(han, "esme", timeout=20)
    han.run_for(hht_added + 125 - han.clock.now())
    join(han, "ppmid", timeout=20)

    # "CHF permits joining for the period specified in the HHT's CCS01; HHT joins the HAN like any device (incl.
    # CBKE)": the new link key protects what the two send each other afterwards
    air = han.air()
    admitted(air, chf, hht)
    key_established(air, chf, hht)
    new_key_in_use(air, chf, hht, han.provisioning.han("hht").link_key)
    # "Device joins inside the HHT-set permit period" (inside both readings: the positive control)
    for role in ("gsme",) + (("esme",) if source == "hht" else ("ppmid",)):
        air.rewind()
        admitted(air, chf, han.eui_int(role))
        key_established(air, chf, han.eui_int(role))
    # "… outside it → refused"
    refused = "ppmid" if source == "hht" else "esme"
    not_admitted(air.rewind(), chf, han.eui_int(refused))
