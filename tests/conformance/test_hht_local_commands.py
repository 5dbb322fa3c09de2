"""Install and Leave: commands the HHT delivers locally to the CH over inter-PAN (BAD 7.2.2.6.2-4).

Topology: the CH (its CHF) is the device under test; the rig's DCC core prepares CCS01 commands for local
delivery, the emulated HHT carries them over inter-PAN secured with the inter-PAN CBKE key, and returns the
responses (SRV 8.13). Each check quotes the step it enforces.
"""
from __future__ import annotations

import pytest

from hht_steps import connect_hht

JOIN_PERIOD = 90


def log_euis(han) -> list[bytes]:
    return [bytes.fromhex(e["eui"]) for e in han.chf.link.call("devlog.get")["log"]]


def local_ccs01(han, role: str):
    """SRV 8.11 for `role`, flagged for local delivery: the command the HHT will carry."""
    return han.dcc.local_add_device(han.chf_eui, han.eui(role), han.provisioning.install_code(role), JOIN_PERIOD)


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
