"""HAN join against the CHF Device Log (BAD 7.2.1.6.7, 7.6.2.5.4).

Topology: the CHF and the joining devices (ESME, GSME, PPMID); each test's `dut` marker says which of them it can
judge. The rig's DCC core sends SRV 8.11 (CCS01/CCS02) and judges the CS14 alerts; the devices are made to join.
Checks read only what a real device shows: the air (the capture verifier) and GBCS through the DCC core; each
quotes the step of the BAD it enforces. A refusal is checked beside its positive control in the same bench state.
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
from han_steps import (JOIN_PERIOD, METERS, admitted, cs14_listing, join, key_established, new_key_in_use,
                       not_admitted, terminated, whitelist)


def joined_on_air(han, role: str) -> float:
    """The device `role` is admitted and completes CBKE with the CH, then the two use the new key. The time the
    key establishment completed."""
    chf, device = han.eui_int("chf"), han.eui_int(role)
    air = han.air()
    admitted(air, chf, device)
    done = key_established(air, chf, device)
    new_key_in_use(air, chf, device, han.provisioning.han(role).link_key)
    return done.time


def control_after_period(han, whitelisted_at: float) -> float:
    """The positive control of a refused join: once the refused device's Join Time Period (and the allowance) has
    run out, the GSME is whitelisted and joins with genuine credentials (after the period, so the CS14s it causes
    cannot stand for the refused device's second CS14). When the period ended."""
    han.run_for(whitelisted_at + JOIN_PERIOD + DEFAULT_ALLOWANCE + 1 - han.clock.now())
    period_over = han.clock.now()
    whitelist(han, "gsme")
    join(han, "gsme")
    han.exchange_data("gsme")
    han.run_for(5)
    return period_over


def per_joiner(*dut: str) -> list:
    """One case per joining device, each needing only the CHF and that device; `dut` names which of them the case
    can judge ('joiner' stands for the case's device)."""
    return [pytest.param(joiner, marks=[pytest.mark.roles("chf", joiner),
                                        pytest.mark.dut(*(joiner if r == "joiner" else r for r in dut))])
            for joiner in ("esme", "gsme", "ppmid")]


@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7; ZSE 1.2a C.4 (CBKE KeyData replaces the trust-centre link key)")
@pytest.mark.parametrize("joiner", per_joiner("chf", "joiner"))
def test_full_join(han, joiner):
    # Actions
    response = whitelist(han, joiner)
    whitelisted_at = han.clock.now()
    join(han, joiner)
    han.exchange_data(joiner)
    han.run_for(5)
    device = han.eui(joiner)

    # "SRV 8.11 (add) → CCS01 → CHF adds to Device Log → Response → DCC: Whitelisted (+ N16 for meters)" (step 6)
    assert response.ok, f"CCS01 not accepted by the CHF: {response.detail}"
    statuses = [status for t, status in han.smi.get(device).history if t <= whitelisted_at]
    assert statuses[-1] is Status.WHITELISTED, f"after the CCS01 response the device is {statuses[-1].value}"
    if joiner in METERS:
        assert han.smi.alerts_for(device, "N16"), "no N16 (device identity confirmation) for a meter"
    # "CHF emits first CS14 (0x8F12) 'Device Log changed'" (step 7); alerts are MAC'd by the CHF (GBCS 2.5)
    assert cs14_listing(han, joiner), "no CS14 listing the device after CCS01"
    assert not han.dcc.violations, f"CHF alerts refused by the DCC: {[str(r) for r in han.dcc.violations]}"
    # "CHF authenticates with the Install Code; CBKE CHF↔device; device joined" (step 8), and "KeyData is the new
    # APS link key": both take APS frames secured with it
    joined_at = joined_on_air(han, joiner)
    # "CHF updates log ⇒ second CS14 (0x8F12) to DCC" (step 9): a CS14 after the join, listing the device
    assert cs14_listing(han, joiner, since=joined_at), "no CS14 listing the device after it joined"
    # "second CS14 within Join Time Period + network time ⇒ N24 + INC" (step 12)
    assert han.smi.alerts_for(device, "N24"), "no N24"
    assert han.smi.status(device) is Status.INSTALLED_NOT_COMMISSIONED


@pytest.mark.scenario(14)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme", "gsme")
@pytest.mark.dut("chf")
def test_unlisted_device_refused(han):
    # Topology: joining is open for the whitelisted ESME only; the GSME is not in the CHF Device Log.
    whitelist(han, "esme")
    cs14_before = len(han.dcc.cs14)

    # Actions: the rogue tries its own install-code key, then the well-known default TC link key; then the
    # whitelisted ESME joins (the positive control, same state).
    join(han, "gsme")
    join(han, "gsme", link_key=WELL_KNOWN_TC_KEY)
    rogue_done = han.clock.now()
    join(han, "esme")
    han.exchange_data("esme")
    han.run_for(5)
    chf, rogue = han.eui_int("chf"), han.eui_int("gsme")

    # "Join attempted by a device NOT on the CHF Device Log → refused": association denied, no network key
    air = han.air()
    not_admitted(air, chf, rogue)
    assert air.filter(command="association_response", src=chf, dst=rogue).all(), \
        "the rogue's association requests got no answer at all (the refusal is an association response)"
    # "… no CBKE"
    air.filter(lambda p: chf in (p.src64, p.dst64) and rogue in (p.src64, p.dst64), layer="ke").must_not_next()
    # "… CHF log unchanged, no CS14"
    assert not [t for t in cs14_listing(han, "gsme")], "a CS14 lists the unlisted device"
    assert len([t for t, _ in han.dcc.cs14 if t <= rogue_done]) == cs14_before, "CS14 raised for an unlisted device"
    # Positive control: the whitelisted device joins in the same state
    joined_on_air(han, "esme")


@pytest.mark.scenario(15)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme", "gsme")
@pytest.mark.dut("chf")
def test_wrong_install_code_refused(han):
    whitelist(han, "esme")
    whitelisted_at = han.clock.now()
    wrong_code = bytes(b ^ 0x5A for b in han.provisioning.install_code("esme"))

    # Actions: the ESME presents a wrong install code, then falls back to the well-known key; the Join Time Period
    # runs out. Then the GSME is whitelisted and joins with its right install code (the positive control; after
    # the ESME's period, so its CS14s cannot stand for the ESME's second CS14).
    join(han, "esme", link_key=install_code_link_key(wrong_code))
    join(han, "esme", link_key=WELL_KNOWN_TC_KEY)
    period_over = control_after_period(han, whitelisted_at)
    esme, install_key = han.eui("esme"), han.provisioning.han("esme").link_key

    # "Whitelisted device presenting a wrong Install Code → not admitted": the network key goes to it only
    # under its own install-code key, which the device does not hold, and no CBKE follows
    air = han.air()
    for transport in air.filter(command="transport_key", dst=han.eui_int("esme")).all():
        assert transport.get("aps.key_value") == install_key, \
            f"frame #{transport.number}: the network key was sent under another key than the device's install " \
            f"code ({transport.get('aps.key', 'no known key')})"
    air.filter(layer="ke", src=han.eui_int("esme")).must_not_next()
    assert len([t for t in cs14_listing(han, "esme") if t < period_over]) == 1, \
        "a second CS14 reported a join that must not happen"
    # "… N25 after Join Time Period"; the device stays Whitelisted
    n25 = han.smi.alerts_for(esme, "N25")
    assert n25 and n25[0].time >= whitelisted_at + JOIN_PERIOD, "no N25 after the Join Time Period"
    assert not han.smi.alerts_for(esme, "N24")
    assert han.smi.status(esme) is Status.WHITELISTED
    # Positive control: the device with its right install code joins in the same state
    joined_on_air(han, "gsme")


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
@pytest.mark.roles("chf", "esme", "gsme")
@pytest.mark.dut("chf")
@pytest.mark.parametrize("flaw,status", [("foreign_ca", kf.Status.UNKNOWN_ISSUER),
                                         ("expired", kf.Status.INVALID_CERTIFICATE),
                                         ("wrong_subject", kf.Status.INVALID_CERTIFICATE)])
def test_bad_certificate_refused(han, flaw, status):
    whitelist(han, "esme")
    whitelisted_at = han.clock.now()
    han.device("esme").credentials = _bad_credentials(han, "esme", flaw)

    # Actions: the whitelisted ESME joins with its right install code, then offers the flawed certificate; its Join
    # Time Period runs out. Then the GSME joins with a genuine certificate (the positive control).
    join(han, "esme")
    period_over = control_after_period(han, whitelisted_at)
    chf, esme = han.eui_int("chf"), han.eui_int("esme")

    # "Whitelisted device with invalid/foreign/expired certificate → CBKE fails": the CHF answers the Initiate
    # Key Establishment Request with Terminate (status per ZSE C.3) and never confirms a key
    air = han.air()
    air.filter(layer="ke", src=esme, dst=chf, command="initiate_ke_request").must_next()
    terminated(air, chf, esme, status)
    air.rewind().filter(layer="ke", src=chf, dst=esme, command="confirm_key_response").must_not_next()
    # "… not joined": no second CS14
    assert len([t for t in cs14_listing(han, "esme") if t < period_over]) == 1, \
        "a second CS14 reported a join without key establishment"
    # "… N25"
    assert han.smi.alerts_for(han.eui("esme"), "N25"), "no N25"
    assert han.smi.status(han.eui("esme")) is Status.WHITELISTED
    # Positive control: a genuine certificate gets through in the same state
    joined_on_air(han, "gsme")


@pytest.mark.scenario(16)
@pytest.mark.clause("BAD 7.2.1.6.7; ZSE 1.2a C.3 (CBKE certificate checks)")
@pytest.mark.parametrize("joiner", per_joiner("joiner"))
def test_device_refuses_foreign_chf_certificate(han, joiner):
    whitelist(han, joiner)
    genuine = han.chf.credentials
    han.chf.credentials = _bad_credentials(han, "chf", "foreign_ca")

    # Actions: the device joins; the trust centre answers its Initiate with a certificate from a foreign CA. Then
    # the trust centre presents its genuine certificate and the device joins again (the positive control).
    join(han, joiner)
    han.chf.credentials = genuine
    join(han, joiner)
    han.exchange_data(joiner)
    han.run_for(5)
    chf, device = han.eui_int("chf"), han.eui_int(joiner)

    # "Whitelisted device with invalid/foreign … certificate → CBKE fails, not joined": the device must
    # terminate with UNKNOWN_ISSUER as soon as it sees the partner's certificate.
    air = han.air()
    air.filter(layer="ke", src=chf, dst=device, command="initiate_ke_response").must_next()
    refused = terminated(air, device, chf, kf.Status.UNKNOWN_ISSUER)
    # Positive control: with the genuine certificate the same device completes CBKE and uses the new key
    admitted(air, chf, device)
    done = key_established(air, chf, device)
    new_key_in_use(air, chf, device, han.provisioning.han(joiner).link_key)
    assert [t for t in cs14_listing(han, joiner) if refused.time <= t < done.time] == [], \
        "a CS14 reported a join while key establishment had failed"


@pytest.mark.scenario(17)
@pytest.mark.clause("BAD 7.2.1.6.7; AD 3.8.109.4; BAD 7.2.2.6.3 (CHF buffers alerts while the WAN is down)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_second_cs14_late(han):
    whitelist(han, "esme")
    # Actions: the CH loses its WAN; the device joins; the WAN returns after the Join Time Period + allowance.
    han.chf.set_wan(False)
    join(han, "esme")
    han.exchange_data("esme")
    han.run_for(JOIN_PERIOD + DEFAULT_ALLOWANCE + 5)
    wan_back = han.clock.now()
    han.chf.set_wan(True)
    han.run_for(1)

    joined_on_air(han, "esme")
    # "CHF also buffers all Responses/Alerts while WAN is down and uploads them when WAN appears" (7.2.2.6.3 i)
    late = cs14_listing(han, "esme", since=wan_back)
    assert late, "the second CS14 was lost instead of held until the WAN returned"
    # "Second CS14 arrives after Join Time Period + network allowance → N25; status stays Whitelisted"
    assert han.smi.alerts_for(han.eui("esme"), "N25"), "no N25"
    assert not han.smi.alerts_for(han.eui("esme"), "N24"), "N24 for a CS14 that came too late"
    assert han.smi.status(han.eui("esme")) is Status.WHITELISTED


@pytest.mark.scenario(21)
@pytest.mark.clause("BAD 7.6.2.5.4")
@pytest.mark.roles("chf", "esme", "gsme")
@pytest.mark.dut("chf")
def test_removed_device_cannot_join(han):
    chf, esme = han.eui_int("chf"), han.eui_int("esme")
    whitelist(han, "esme")
    # Actions: the ESME joins (the positive control); the GSME is whitelisted but does not join; SRV 8.11 (remove)
    # for the GSME, then for the joined ESME; the ESME tries to join again within its old period.
    join(han, "esme")
    han.exchange_data("esme")
    han.run_for(1)
    joined_on_air(han, "esme")
    whitelist(han, "gsme")
    gsme_removal = han.dcc.remove_device(han.chf_eui, han.eui("gsme"))
    removal = han.dcc.remove_device(han.chf_eui, han.eui("esme"))
    removed_at = han.clock.now()
    han.run_for(1)
    join(han, "esme")
    han.run_for(5)

    # "8.11 remove → CCS02 → CS14 shows removal"
    assert removal.ok and gsme_removal.ok, f"CCS02 not accepted: {removal.detail}; {gsme_removal.detail}"
    assert han.dcc.cs14 and han.eui("esme") not in han.dcc.cs14[-1][1], "the last CS14 still lists the device"
    assert han.eui("gsme") not in han.dcc.cs14[-1][1], "the last CS14 still lists the removed GSME"
    # "Whitelisted→Pending" (a joined device is Installed not Commissioned, which CCS02 does not change)
    assert han.smi.status(han.eui("gsme")) is Status.PENDING
    assert han.smi.status(han.eui("esme")) is Status.INSTALLED_NOT_COMMISSIONED
    # "removed device can no longer join": the CHF drops it (its link key with it) and refuses its rejoin
    air = han.air()
    air.cursor = len([p for p in air.packets if p.time < removed_at])
    leave = air.filter(command="leave", src=chf, dst=esme).must_next()
    assert leave["nwk.leave_request"], f"frame #{leave.number}: the CHF's Leave does not ask the device to leave"
    not_admitted(air, chf, esme)
    air.filter(layer="ke", src=chf, dst=esme).must_not_next()
