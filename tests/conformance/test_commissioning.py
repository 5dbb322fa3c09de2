"""Commission Device (BAD 7.2.1.6.10, AC 4.11-4.13): SRV 8.1.1 sends ECS70 (ESME) or GCS28 (GSME) Set Clock, a
critical command signed by the supplier; the meter sets its clock to its CHF's time within the command's validity
window and answers with a response signed by its own DS key; only then is it Commissioned in the SMI.

Topology: CHF and the meter on the HAN; the meter is the device under test. The GBCS path is DCC core -> CHF WAN
side -> CHF -> Tunneling over the HAN -> meter (the GSME pulls it from the CH's queue when it wakes). Checks read
the DCC core (the verified response, the SMI) only.
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import mpxn, set_clock
from harness.dcc.devices import alert_code
from harness.dcc.smi import Status
from device_steps import APS_RETRY_WINDOW, JOIN_PERIOD, JOIN_TIMEOUT, commission, commissioned, install, per_device
from hht_steps import connect, deliver


@pytest.mark.scenario(23)
@pytest.mark.clause("BAD 7.2.1.6.10; AC 4.11; GBCS ECS70 / GCS28")
@pytest.mark.parametrize("meter", per_device("esme", "gsme"))
def test_commission_device_sets_the_clock_and_commissions(han, meter):
    # Topology: the CH is installed and commissioned; the meter has joined its HAN (Installed not Commissioned).
    han.commission_ch()
    install(han, meter)

    # Action: SRV 8.1.1 Commission Device
    answer = commission(han, meter)

    # "SRV 8.1.1 (Critical) → ECS70 (ESME) / GCS28 (GSME) Set Clock → … → Response" (7.2.1.6.10)
    assert answer.command is not None and answer.command.critical, "the DCC sent no critical Set Clock"
    assert answer.response is not None, f"no verified Set Clock response from the {meter}: {answer.detail}; " \
                                        f"refused by the DCC core: {[str(r) for r in han.devices.rejected]}"
    # a critical command's response is signed by the meter's DS key (GBCS 1.5; the DCC core verified it)
    assert answer.response.message.mac is None and answer.response.header.signature, "the response is not signed"
    # "meter syncs to CHF time": the time the meter reports equals the CH's time (the run's clock) when it answered
    reported, synced = set_clock.meter_time(answer.command.header.message_code, answer.response.header.payload)
    assert synced, f"the {meter} did not set its clock"
    received = [e.time for e in han.dcc.transcript if e.data == answer.response.message.encode()][-1]
    sent_at = first_sent(han, meter, received)
    assert abs(reported - sent_at) <= 2.0, \
        f"the {meter} reports {reported}, the CH's time was {sent_at} when the {meter} first sent its response"
    # "⇒ meter Commissioned" (AC 4.11: only from the Set Clock response, only with the CHF Commissioned)
    assert answer.ok, answer.detail
    assert han.smi.status(han.eui(meter)) is Status.COMMISSIONED


def first_sent(han, meter: str, received: float) -> float:
    """When the meter first put on the air the tunnel frame that brought its response to the CH by `received`:
    the APS layer retransmits a lost frame with the same APS counter, so its first copy is when the meter sent it."""
    frames = han.air().filter(layer="tunnel", src=han.eui_int(meter), dst=han.eui_int("chf")).all()
    sent = [p for p in frames if p.time <= received]
    if not sent:
        return received
    last = sent[-1]
    return min(p.time for p in sent if p.get("aps.counter") == last.get("aps.counter")
               and p.time >= last.time - APS_RETRY_WINDOW)


@pytest.mark.scenario(18)
@pytest.mark.clause("AC 4.4; BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_rejoin_does_not_downgrade_a_commissioned_device(han):
    commissioned(han, "esme")
    eui = han.eui("esme")
    seen = len([t for t, log in han.dcc.cs14 if eui in log])

    # Action: the ESME leaves the HAN, is added to the CHF Device Log again (SRV 8.11) and rejoins
    han.device("esme").radio.leave()
    added = han.dcc.add_device(han.chf_eui, eui, han.provisioning.install_code("esme"), JOIN_PERIOD)
    outcome = han.device("esme").join(han.eui_int("chf"), timeout=JOIN_TIMEOUT)
    han.run_for(5)

    assert added.ok and outcome.joined, f"the rejoin did not happen: {added.detail} / {outcome.detail}"
    # the CHF reports the rejoin as it reports any join: a CS14 for the log change and one for the join
    assert len([t for t, log in han.dcc.cs14 if eui in log]) >= seen + 2, "the CHF did not report the rejoin"
    # "Rejoin of an already-Commissioned device does not downgrade it to INC" (AC 4.4)
    assert han.smi.status(eui) is Status.COMMISSIONED


@pytest.mark.scenario(25)
@pytest.mark.clause("BAD 7.2.1.6.11; AC 4.14; GBCS ECS39a, ECS40")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("esme")
def test_mpan_set_after_commissioning_reads_back(han):
    commissioned(han, "esme")
    mpan = b"1312345678111"

    # Actions: SRV 6.20.1 (ECS39a) sets the MPAN "as soon as possible after commissioning"; SRV 6.2.7 (ECS40) reads it
    _, set_response = han.devices.request(SUPPLIER, han.eui("esme"), mpxn.ECS39A,
                                          lambda c: mpxn.set_import_payload(c, mpan), critical=False, what="ECS39a")
    _, read_response = han.devices.request(SUPPLIER, han.eui("esme"), mpxn.ECS40, mpxn.read_payload,
                                           critical=False, what="ECS40")

    assert set_response is not None and read_response is not None, \
        f"no verified MPAN response; refused by the DCC: {[str(r) for r in han.devices.rejected]}"
    assert [r for _, r in mpxn.results(set_response.header.payload)] == [0], "the ESME refused the MPAN"
    # "6.20.1 sets MPxN; 6.2.7 read-back matches"
    assert mpxn.import_mpan(read_response.header.payload) == mpan


@pytest.mark.scenario(47)
@pytest.mark.clause("BAD 7.2.2.6.7-8, 7.2.2.7; AC 4.11")
@pytest.mark.roles("chf", "hht", "esme")
@pytest.mark.dut("esme")
def test_meter_installed_without_the_wan_is_commissioned_once_it_arrives(han, evidence):
    # Topology: Install and Leave: no WAN on the day; the HHT whitelists itself and the ESME over inter-PAN, the
    # ESME joins the HAN.
    han.commission_ch()
    han.chf.set_wan(False)
    connect(han, evidence, han.power_on_ch())
    responses = {}
    for role in ("hht", "esme"):
        han.prenotify(role)
        command = han.dcc.local_add_device(han.chf_eui, han.eui(role), han.provisioning.install_code(role), 120)
        responses[role] = deliver(han, command.data)
        assert responses[role] is not None, f"precondition: the CH did not answer the {role}'s CCS01"
    han.device("esme").join(han.eui_int("chf"), timeout=JOIN_TIMEOUT)  # the DCC judges it once the WAN is back
    han.run_for(10)

    # Actions: the WAN arrives; the HHT's CCS01 responses come back (SRV 8.13); the supplier sends SRV 8.1.1
    han.chf.set_wan(True)
    for role, response in responses.items():
        assert han.dcc.return_local_response(han.eui(role), response).ok
    answer = commission(han, "esme")

    # "Post-WAN: 8.1.1 commissions meters" — ECS70 reaches the ESME, which answers signed and is Commissioned
    assert answer.response is not None, f"no verified Set Clock response: {answer.detail}; " \
                                        f"refused by the DCC core: {[str(r) for r in han.devices.rejected]}"
    assert answer.ok, answer.detail
    assert han.smi.status(han.eui("esme")) is Status.COMMISSIONED


@pytest.mark.scenario(20)
@pytest.mark.clause("BAD 7.2.1.6.7 (0x8F69, 0x8183)")
@pytest.mark.parametrize("meter", per_device("esme", "gsme"))
def test_meter_holding_its_suppliers_certificate_reports_its_join(han, meter):
    # Topology: the meter's supplier trust anchor cells hold its supplier's certificates (the bench SMKI's)
    han.commission_ch()

    # Action: the meter joins the HAN
    install(han, meter)
    han.run_for(60)

    # "Meter holding a supplier org cert emits 0x8F69 (and may emit 0x8183) on join" — to that supplier, verified
    codes = [alert_code(a) for a in han.devices.alerts
             if a.header.originator == han.eui(meter) and a.header.recipient == SUPPLIER]
    assert 0x8F69 in codes, f"no 0x8F69 from the {meter} after joining (alert codes {codes}); " \
                            f"refused by the DCC core: {[str(r) for r in han.devices.rejected]}"
