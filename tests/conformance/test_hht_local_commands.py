"""Install and Leave: commands the HHT delivers locally to the CH over inter-PAN (BAD 7.2.2.6.2-4).

Topology: the CH (its CHF) is the device under test; the rig's DCC core prepares CCS01 commands for local
delivery, the emulated HHT carries them over inter-PAN secured with the inter-PAN CBKE key, and returns the
responses (SRV 8.13). Each check quotes the step it enforces.
"""
from __future__ import annotations

import pytest

from hht_steps import connect_hht
from rig.radios.protocol import DeliveryFailed

BASIC_CLUSTER = 0x0000
READ_ZCL_VERSION = bytes([0x00, 0x01, 0x00, 0x00, 0x00])  # ZCL Read Attributes: ZCLVersion

JOIN_PERIOD = 90


def log_euis(han) -> list[bytes]:
    return [bytes.fromhex(e["eui"]) for e in han.chf.link.call("devlog.get")["log"]]


def local_ccs01(han, role: str, period: int = JOIN_PERIOD):
    """SRV 8.11 for `role`, flagged for local delivery: the command the HHT will carry."""
    return han.dcc.local_add_device(han.chf_eui, han.eui(role), han.provisioning.install_code(role), period)


@pytest.mark.scenario(37)
@pytest.mark.clause("BAD 7.2.2.6.3 (d)")
@pytest.mark.roles("chf", "hht", "esme")
@pytest.mark.dut("chf")
def test_hht_must_add_itself_first(han, evidence):
    beacon = connect_hht(han, evidence)
    for role in ("hht", "esme"):
        han.prenotify(role)
    hht, chf = han.hht(), han.chf.identity.eui_int

    # Actions: the HHT first delivers a device's CCS01, then its own, then (a fresh) device CCS01.
    early = hht.deliver_locally(chf, beacon, local_ccs01(han, "esme").data)
    log_after_early = log_euis(han)
    own = hht.deliver_locally(chf, beacon, local_ccs01(han, "hht").data)
    later = hht.deliver_locally(chf, beacon, local_ccs01(han, "esme").data)

    # "HHT sends device CCS01 before its own → refused"
    assert early is None, "the CH answered a device CCS01 delivered before the HHT had added itself"
    assert han.eui("esme") not in log_after_early, "the CH added a device before the HHT had added itself"
    # "First command = CCS01 adding the HHT itself ⇒ CHF stores HHT credentials ⇒ CCS01 Response to HHT"
    assert own is not None, "the CH did not answer the HHT's own CCS01"
    assert han.dcc.return_local_response(han.eui("hht"), own).ok, "the HHT's CCS01 response reports a failure"
    # "For each device: HHT sends CCS01 ⇒ CHF adds creds ⇒ CCS01 Response"
    assert later is not None and han.dcc.return_local_response(han.eui("esme"), later).ok
    assert {han.eui("hht"), han.eui("esme")} <= set(log_euis(han))


@pytest.mark.scenario(40)
@pytest.mark.clause("GBCS 4.3.1.5 (Originator Counter anti-replay); BAD 7.2.2.6.3 (d)")
@pytest.mark.roles("chf", "hht")
@pytest.mark.dut("chf")
def test_replayed_local_command_refused(han, evidence):
    beacon = connect_hht(han, evidence)
    han.prenotify("hht")
    hht, chf = han.hht(), han.chf.identity.eui_int
    command = local_ccs01(han, "hht").data

    # Actions: the HHT delivers its CCS01, then the very same bytes again.
    first = hht.deliver_locally(chf, beacon, command)
    replay = hht.deliver_locally(chf, beacon, command)

    assert first is not None, "the CH did not answer the HHT's CCS01"
    # "Replay of an already-executed locally delivered command → rejected"
    assert replay is None, "the CH executed a replayed command (its Originator Counter was not above the last)"


@pytest.mark.scenario(41)
@pytest.mark.clause("BAD 7.2.2.6.3 (e-f)")
@pytest.mark.roles("chf", "hht", "esme", "gsme")
@pytest.mark.dut("chf", "hht")
def test_joins_only_inside_the_hht_set_period(han, evidence):
    beacon = connect_hht(han, evidence)
    for role in ("hht", "esme", "gsme"):
        han.prenotify(role)
    hht, chf = han.hht(), han.chf.identity.eui_int

    # Actions: the HHT adds itself and joins the HAN; it adds the GSME and the ESME with a 60 s period; the GSME
    # joins at once, the ESME only after its period has run out.
    assert hht.deliver_locally(chf, beacon, local_ccs01(han, "hht", period=120).data) is not None
    hht_join = hht.join(chf)
    assert hht.deliver_locally(chf, beacon, local_ccs01(han, "gsme", period=60).data) is not None
    assert hht.deliver_locally(chf, beacon, local_ccs01(han, "esme", period=60).data) is not None
    inside = han.device("gsme").join(chf, timeout=20)
    han.run_for(65)
    outside = han.device("esme").join(chf, timeout=20)

    # "CHF permits joining for the period specified in the HHT's CCS01; HHT joins the HAN like any device (incl.
    # CBKE)": the new link key protects what the CH sends it afterwards
    assert hht_join.joined, f"the HHT did not join the HAN: {hht_join.stage}: {hht_join.detail}"
    try:
        han.radios["chf"].send_aps(han.provisioning.han("hht").eui_int, BASIC_CLUSTER, READ_ZCL_VERSION)
    except DeliveryFailed as exc:
        raise AssertionError(f"the HHT does not take frames secured with its CBKE link key: {exc}") from exc
    # "Device joins inside the HHT-set permit period"
    assert inside.joined, f"a device whitelisted by the HHT could not join inside its period: {inside.detail}"
    # "… outside it → refused"
    assert not outside.joined, "a device joined after the Join Time Period its CCS01 set"
