"""HAN join against the CHF Device Log (BAD 7.2.1.6.7, 7.6.2.5.4).

Topology: the CHF is the device under test; ESME, GSME and PPMID emulators join its HAN; the rig's DCC core
sends SRV 8.11 (CCS01/CCS02) and judges the CS14 alerts. Actions are service requests, joins and clock advances;
each check quotes the step of the BAD it enforces.
"""
from __future__ import annotations

import pytest

from emulators.chf import WELL_KNOWN_TC_KEY
from emulators.provision import install_code_link_key
from harness.dcc.han import DEFAULT_ALLOWANCE
from harness.dcc.smi import Status
from harness.zse import ke
from harness.zse import ke_frames as kf
from harness.zse.bench_ca import BenchCA
from rig.radios.protocol import DeliveryFailed

BASIC_CLUSTER = 0x0000
READ_ZCL_VERSION = bytes([0x00, 0x01, 0x00, 0x00, 0x00])  # ZCL Read Attributes: ZCLVersion
JOIN_PERIOD = 90  # seconds, the SRV 8.11 Join Time Period
JOIN_TIMEOUT = 30.0


def whitelist(han, role: str):
    """SRV 12.2 then SRV 8.11 (add) for `role`, and let the first CS14 reach the DCC."""
    han.prenotify(role)
    response = han.dcc.add_device(han.chf_eui, han.eui(role), han.provisioning.install_code(role), JOIN_PERIOD)
    han.run_for(1)
    return response


def cs14_listing(han, role: str) -> list[float]:
    """Times of the CS14 alerts that list `role` in the CHF Device Log."""
    return [t for t, log in han.dcc.cs14 if han.eui(role) in log]


def chf_ke_frames(han, role: str) -> list:
    return [f for f in han.chf.ke_log if f.direction == "tx" and f.peer == han.provisioning.han(role).eui_int]


def per_joiner(dut_chf: bool) -> list:
    """One case per joining role, each needing only the CHF and that role (the DUT: either, or the joiner)."""
    return [pytest.param(j, marks=[pytest.mark.roles("chf", j), pytest.mark.dut(*(("chf", j) if dut_chf else (j,)))])
            for j in ("esme", "gsme", "ppmid")]


@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7; ZSE 1.2a C.4 (CBKE KeyData replaces the trust-centre link key)")
@pytest.mark.parametrize("joiner", per_joiner(dut_chf=True))
def test_full_join(han, joiner):
    # Actions
    response = whitelist(han, joiner)
    outcome = han.device(joiner).join(han.chf.identity.eui_int, timeout=JOIN_TIMEOUT)
    han.run_for(5)

    # "SRV 8.11 (add) → CCS01 → CHF adds to Device Log → Response → DCC: Whitelisted" (7.2.1.6.7 step 6)
    assert response.ok, f"CCS01 not accepted by the CHF: {response.detail}"
    # "CHF emits first CS14 (0x8F12) 'Device Log changed'" (step 7); alerts are MAC'd by the CHF (GBCS 2.5)
    sightings = cs14_listing(han, joiner)
    assert sightings, "no CS14 listing the device after CCS01"
    assert not han.dcc.violations, f"CHF alerts refused by the DCC: {[str(r) for r in han.dcc.violations]}"
    # "CHF authenticates with the Install Code; CBKE CHF↔device; device joined" (step 8)
    assert outcome.joined, f"device did not join: {outcome.stage}: {outcome.detail}"
    assert han.radios["chf"].get_link_key(han.provisioning.han(joiner).eui_int) == outcome.link_key, \
        "the CHF does not hold the CBKE link key the device derived"
    # "KeyData is the new APS link key": the device takes an APS frame secured with it (and acknowledges it)
    try:
        han.radios["chf"].send_aps(han.provisioning.han(joiner).eui_int, BASIC_CLUSTER, READ_ZCL_VERSION)
    except DeliveryFailed as exc:
        raise AssertionError(f"the device does not accept frames secured with the CBKE link key: {exc}") from exc
    # "CHF updates log ⇒ second CS14 (0x8F12) to DCC" (step 9)
    assert len(sightings) >= 2, "no second CS14 after the device joined"
    # "second CS14 within Join Time Period + network time ⇒ N24 + INC" (step 12)
    assert han.smi.alerts_for(han.eui(joiner), "N24"), "no N24"
    assert han.smi.status(han.eui(joiner)) is Status.INSTALLED_NOT_COMMISSIONED


@pytest.mark.scenario(14)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme", "gsme")
@pytest.mark.dut("chf")
def test_unlisted_device_refused(han):
    # Topology: joining is open for the whitelisted ESME only; the GSME is not in the CHF Device Log.
    whitelist(han, "esme")
    log_before = han.chf.link.call("devlog.get")["log"]
    cs14_before = len(han.dcc.cs14)
    rogue = han.device("gsme")

    # Actions: the rogue tries its own install-code key, then the well-known default TC link key.
    first = rogue.join(han.chf.identity.eui_int, timeout=JOIN_TIMEOUT)
    second = rogue.join(han.chf.identity.eui_int, link_key=WELL_KNOWN_TC_KEY, timeout=JOIN_TIMEOUT)
    han.run_for(5)

    # "Join attempted by a device NOT on the CHF Device Log → refused"
    assert not first.joined and first.stage == "network", f"unlisted device got in: {first}"
    assert not second.joined and second.stage == "network", "unlisted device got in with the well-known key"
    # "… no CBKE"
    assert not chf_ke_frames(han, "gsme"), "the CHF ran key establishment with an unlisted device"
    # "… CHF log unchanged, no CS14"
    assert han.chf.link.call("devlog.get")["log"] == log_before
    assert len(han.dcc.cs14) == cs14_before, "CS14 raised for an unlisted device"


@pytest.mark.scenario(15)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_wrong_install_code_refused(han):
    whitelist(han, "esme")
    whitelisted_at = han.clock.now()
    wrong_code = bytes(b ^ 0x5A for b in han.provisioning.install_code("esme"))
    device = han.device("esme")

    # Actions: the device presents a wrong install code, then falls back to the well-known key.
    wrong = device.join(han.chf.identity.eui_int, link_key=install_code_link_key(wrong_code), timeout=JOIN_TIMEOUT)
    fallback = device.join(han.chf.identity.eui_int, link_key=WELL_KNOWN_TC_KEY, timeout=JOIN_TIMEOUT)
    han.run_for(JOIN_PERIOD + DEFAULT_ALLOWANCE + 5)

    # "Whitelisted device presenting a wrong Install Code → not admitted"
    assert not wrong.joined, "admitted with a wrong install code"
    assert not fallback.joined, "admitted with the well-known TC link key instead of its install code"
    assert len(cs14_listing(han, "esme")) == 1, "a second CS14 reported a join that must not happen"
    # "… N25 after Join Time Period"; the device stays Whitelisted
    n25 = han.smi.alerts_for(han.eui("esme"), "N25")
    assert n25 and n25[0].time >= whitelisted_at + JOIN_PERIOD, "no N25 after the Join Time Period"
    assert not han.smi.alerts_for(han.eui("esme"), "N24")
    assert han.smi.status(han.eui("esme")) is Status.WHITELISTED


def _bad_credentials(han, role: str, flaw: str) -> ke.Credentials:
    """CBKE credentials for `role` with one flaw: issued by a foreign CA, expired, or naming another subject."""
    eui = han.eui(role)
    if flaw == "foreign_ca":
        issued = BenchCA(2, seed="a CA the CHF does not trust", issuer=b"FOREIGN1").issue(eui)
    else:
        issued = BenchCA(2, seed=han.provisioning.seed).issue(eui, flaw=flaw, now=int(han.clock.now()))
    return ke.Credentials(2, issued.cert_bytes, issued.private_key, han.provisioning.ca.public_key)


@pytest.mark.scenario(16)
@pytest.mark.clause("BAD 7.2.1.6.7; ZSE 1.2a C.3 (CBKE certificate checks)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
@pytest.mark.parametrize("flaw,status", [("foreign_ca", kf.Status.UNKNOWN_ISSUER),
                                         ("expired", kf.Status.INVALID_CERTIFICATE),
                                         ("wrong_subject", kf.Status.INVALID_CERTIFICATE)])
def test_bad_certificate_refused(han, flaw, status):
    whitelist(han, "esme")
    device = han.device("esme")
    device.credentials = _bad_credentials(han, "esme", flaw)

    # Actions: the whitelisted device joins with its right install code, then offers the flawed certificate.
    outcome = device.join(han.chf.identity.eui_int, timeout=JOIN_TIMEOUT)
    han.run_for(JOIN_PERIOD + DEFAULT_ALLOWANCE + 5)

    # "Whitelisted device with invalid/foreign/expired certificate → CBKE fails"
    sent = chf_ke_frames(han, "esme")
    assert sent, "the CHF never answered the Initiate Key Establishment Request"
    assert sent[0].terminate_status == status, \
        f"the CHF answered {sent[0].command} (status {sent[0].terminate_status}), expected Terminate {status.name}"
    assert not outcome.joined and outcome.stage == "cbke"
    # "… not joined": no CBKE link key at the CHF, no second CS14
    assert han.radios["chf"].get_link_key(han.provisioning.han("esme").eui_int) == han.provisioning.han("esme").link_key
    assert len(cs14_listing(han, "esme")) == 1, "a second CS14 reported a join without key establishment"
    # "… N25"
    assert han.smi.alerts_for(han.eui("esme"), "N25"), "no N25"
    assert han.smi.status(han.eui("esme")) is Status.WHITELISTED


@pytest.mark.scenario(16)
@pytest.mark.clause("BAD 7.2.1.6.7; ZSE 1.2a C.3 (CBKE certificate checks)")
@pytest.mark.parametrize("joiner", per_joiner(dut_chf=False))
def test_device_refuses_foreign_chf_certificate(han, joiner):
    whitelist(han, joiner)
    han.chf.credentials = _bad_credentials(han, "chf", "foreign_ca")
    device = han.device(joiner)

    # Actions: the device joins; the trust centre answers its Initiate with a certificate from a foreign CA.
    outcome = device.join(han.chf.identity.eui_int, timeout=JOIN_TIMEOUT)
    han.run_for(5)

    # "Whitelisted device with invalid/foreign … certificate → CBKE fails, not joined": the device must
    # terminate with UNKNOWN_ISSUER as soon as it sees the partner's certificate.
    sent = [f for f in device.ke_log if f.direction == "tx"]
    assert len(sent) >= 2, "the device sent nothing after the Initiate Key Establishment Response"
    assert sent[1].terminate_status == kf.Status.UNKNOWN_ISSUER, \
        f"the device answered {sent[1].command} (status {sent[1].terminate_status}), expected Terminate UNKNOWN_ISSUER"
    assert not outcome.joined
    assert len(cs14_listing(han, joiner)) == 1, "a second CS14 reported a join without key establishment"


@pytest.mark.scenario(17)
@pytest.mark.clause("BAD 7.2.1.6.7; AD 3.8.109.4; BAD 7.2.2.6.3 (CHF buffers alerts while the WAN is down)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_second_cs14_late(han):
    whitelist(han, "esme")
    # Actions: the CH loses its WAN; the device joins; the WAN returns after the Join Time Period + allowance.
    han.chf.set_wan(False)
    outcome = han.device("esme").join(han.chf.identity.eui_int, timeout=JOIN_TIMEOUT)
    han.run_for(JOIN_PERIOD + DEFAULT_ALLOWANCE + 5)
    wan_back = han.clock.now()
    han.chf.set_wan(True)
    han.run_for(1)

    assert outcome.joined, f"device did not join: {outcome.detail}"
    # "CHF also buffers all Responses/Alerts while WAN is down and uploads them when WAN appears" (7.2.2.6.3 i)
    late = [t for t in cs14_listing(han, "esme") if t >= wan_back]
    assert late, "the second CS14 was lost instead of held until the WAN returned"
    # "Second CS14 arrives after Join Time Period + network allowance → N25; status stays Whitelisted"
    assert han.smi.alerts_for(han.eui("esme"), "N25"), "no N25"
    assert not han.smi.alerts_for(han.eui("esme"), "N24"), "N24 for a CS14 that came too late"
    assert han.smi.status(han.eui("esme")) is Status.WHITELISTED


@pytest.mark.scenario(21)
@pytest.mark.clause("BAD 7.6.2.5.4")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_removed_device_cannot_join(han):
    whitelist(han, "esme")
    # Actions: SRV 8.11 (remove) before the device joins, then the device tries to join within the old period.
    response = han.dcc.remove_device(han.chf_eui, han.eui("esme"))
    han.run_for(1)
    outcome = han.device("esme").join(han.chf.identity.eui_int, timeout=JOIN_TIMEOUT)
    han.run_for(5)

    # "8.11 remove → CCS02 → CS14 shows removal"
    assert response.ok, f"CCS02 not accepted: {response.detail}"
    assert han.dcc.cs14 and han.eui("esme") not in han.dcc.cs14[-1][1], "the last CS14 still lists the device"
    assert han.eui("esme") not in [bytes.fromhex(e["eui"]) for e in han.chf.link.call("devlog.get")["log"]]
    # "Whitelisted→Pending"
    assert han.smi.status(han.eui("esme")) is Status.PENDING
    # "removed device can no longer join"
    assert not outcome.joined, "a device removed from the CHF Device Log still joined"
