"""Application-level joins and unjoins (BAD 7.2.1.6.12, 7.6.2.5.3; AC 4.7): SRV 8.7 puts a PPMID in its meter's
Device Log (and the meter in the PPMID's), CS03A1 / CS03A2 with an ESME, CS03B with the GPF and CS03C on both sides
with a GSME; an HCALCS joins its ESME the same way (CS03A2 + CS03A1), after which the ESME switches it with a HAN
command (BAD 7.5.5.5.2), which the HCALCS obeys only from the ESME in its own Device Log; the joined device inherits
its meter's status; the GPF backs its Device Log up with GCS62 after each
change; SRV 8.8 (CS04AC) takes the partner out again, after which the PPMID can no longer top the meter up; a
meter ignores a top-up from a PPMID absent from its own Device Log.

Topology: CH (CHF, GPF), the meter and the PPMID on the HAN, all commissioned as BAD 7.2.1 has it; the devices are
the devices under test. Checks read the DCC core: the verified responses (signed for critical joins), the GCS62
alert, the SMI, and the reports a meter sends unasked; for a PPMID's top-up (scenario 32) also the air, with the
consumer at the PPMID's keypad; for the HCALCS the air (the ESME's On/Off commands) and its switch (its UI).
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import load_control, prepayment as pp
from harness.dcc.devices import CS03A1, CS03A2, CS03B, CS03C, status_code
from harness.dcc.smi import Status
from harness.errors import BenchFault, InputError
from harness.gbcs import asn1
from harness.gbcs.utrn import ValueClass, generate, utrn_secret
from harness.zigbee import onoff, prepayment as zse, zcl
from device_steps import commission, commissioned, install

GCS62, BACKUP_ALERT = 0x00B2, 0x8071
OK, NOT_IN_LOG = 0, 1
CARRIAGE = 30.0  # seconds for a top-up typed on the PPMID to reach the ESME and its report to reach the DCC


def joined(han, device: str, code: int, other: str, *, critical: bool):
    answer = han.devices.join(SUPPLIER, han.eui(device), code, han.eui(other), other, critical=critical)
    return answer


def joined_critically(han, device: str, meter: str) -> None:
    """SRV 8.7.1 (critical): CS03A2 to `device`, then CS03A1 to its `meter`; "each SR → DCC → command → response",
    the critical joins answered with signed responses."""
    answers = (((device.upper(), "CS03A2"), joined(han, device, CS03A2, meter, critical=True)),
               ((meter.upper(), "CS03A1"), joined(han, meter, CS03A1, device, critical=True)))
    for (who, code), answer in answers:
        name = f"{who} ({code})"
        assert answer.response is not None, f"no verified response from the {name}: {answer.detail}; " \
                                            f"refused by the DCC: {[str(r) for r in han.devices.rejected]}"
        assert answer.ok, f"the {name} refused the join: {answer.detail}"
        assert answer.response.header.signature, f"the {name} did not sign its response to a critical join"


def gcs62_logs(han) -> list[list[bytes]]:
    """The device EUIs each verified GCS62 alert from the GPF lists."""
    out = []
    for alert in han.devices.alerts:
        if alert.header.message_code != GCS62 or alert.header.originator != han.eui("gpf"):
            continue
        try:
            [seq] = asn1.decode(alert.header.payload)
            code, _, log = seq.children
            listed = [entry.children[0].value for entry in log.children]
        except (InputError, ValueError, TypeError) as exc:
            raise AssertionError(f"GCS62 is not {{alert code, time, SEQUENCE OF {{EUI, type}}}}: {exc}") from None
        assert int.from_bytes(code.value, "big") == BACKUP_ALERT, "GCS62 alert code is not 0x8071"
        out.append(listed)
    return out


@pytest.mark.scenario(26)
@pytest.mark.clause("BAD 7.2.1.6.12; AC 4.7; GBCS CS03A2, CS03A1")
@pytest.mark.roles("chf", "esme", "ppmid")
@pytest.mark.dut("esme", "ppmid")
def test_ppmid_joins_the_esme_and_inherits_its_status(han):
    commissioned(han, "esme", "ppmid")

    # Actions and checks: SRV 8.7.1 (critical): "CS03A2 to PPMID then CS03A1 to ESME"
    joined_critically(han, "ppmid", "esme")
    # "PPMID inherits ESME status" (AC 4.7)
    assert han.smi.status(han.eui("ppmid")) is Status.COMMISSIONED


@pytest.mark.scenario(27)
@pytest.mark.clause("BAD 7.2.1.6.12; GBCS CS03B, CS03C, GCS62")
@pytest.mark.roles("chf", "gpf", "gsme", "ppmid")
@pytest.mark.dut("gpf", "gsme", "ppmid")
def test_ppmid_joins_the_gsme_via_the_gpf_which_backs_up_its_log(han):
    commissioned(han, "gsme", "ppmid")

    # Actions: SRV 8.7.2: CS03B to the GPF, CS03C to both the GSME and the PPMID
    answers = {"GPF (CS03B)": joined(han, "gpf", CS03B, "ppmid", critical=False),
               "GSME (CS03C)": joined(han, "gsme", CS03C, "ppmid", critical=False),
               "PPMID (CS03C)": joined(han, "ppmid", CS03C, "gsme", critical=False)}
    han.run_for(5)

    for name, answer in answers.items():
        assert answer.ok, f"the {name} join failed: {answer.detail}"
    # "GPF emits GCS62" after its Device Log changed, listing the PPMID
    backups = gcs62_logs(han)
    assert backups, "the GPF raised no GCS62 backup of its Device Log after the join"
    assert han.eui("ppmid") in backups[-1], "the GCS62 backup does not list the joined PPMID"
    assert han.smi.status(han.eui("ppmid")) is Status.COMMISSIONED, "the PPMID did not inherit the GSME's status"


@pytest.mark.scenario(33)
@pytest.mark.clause("BAD 7.6.2.5.3; GBCS CS04AC")
@pytest.mark.roles("chf", "esme", "ppmid")
@pytest.mark.dut("esme")
@pytest.mark.ui("ppmid")
def test_unjoin_removes_the_partner_from_the_device_log(han, ui, evidence):
    keypad = ui("ppmid")
    esme_listed_by_ppmid(han)
    assert joined(han, "esme", CS03A1, "ppmid", critical=True).ok, "precondition: the PPMID did not join"
    # Positive control: the joined PPMID tops the ESME up
    typed = type_on_ppmid(han, keypad, evidence, utrn_for(han, 1 << 32), "PPMID joined")
    assert accepted_top_up(han, typed, 1 << 32), "the ESME did not take a top-up from the PPMID in its Device Log"

    # Action: SRV 8.8.1 (critical): CS04AC to the ESME for the PPMID
    first = han.devices.unjoin(SUPPLIER, han.eui("esme"), han.eui("ppmid"))
    typed = type_on_ppmid(han, keypad, evidence, utrn_for(han, 2 << 32), "PPMID unjoined")
    again = han.devices.unjoin(SUPPLIER, han.eui("esme"), han.eui("ppmid"))

    # "Unjoins (CS04AC/CS04B) remove partner from device log"
    assert first.response is not None and again.response is not None, \
        f"no verified unjoin response; refused by the DCC: {[str(r) for r in han.devices.rejected]}"
    assert status_code(first.response) == OK, f"the unjoin failed: {first.detail}"
    assert status_code(again.response) == NOT_IN_LOG, "the PPMID is still in the ESME's Device Log after CS04AC"
    # "… unjoined PPMID can no longer top up"
    assert not top_up_responses(han, typed) and not reported(han, 2 << 32), \
        "the ESME took a top-up from the PPMID it had unjoined"


def top_up_responses(han, since: float) -> list[tuple[int, zse.ConsumerTopUpResponse]]:
    """(frame number, response) for each ZSE Consumer Top Up Response the ESME sent the PPMID after `since`."""
    air = han.air()
    out = []
    for packet in air.filter(lambda p: p.time >= since, layer="zcl", src=han.eui_int("esme"),
                             dst=han.eui_int("ppmid"), cluster=zse.CLUSTER_ID).all():
        if (packet["zcl.cmd"], packet["zcl.direction"]) != (zse.CONSUMER_TOP_UP_RESPONSE, zcl.SERVER_TO_CLIENT):
            raise AssertionError(f"frame #{packet.number}: the ESME sent the PPMID Prepayment command "
                                 f"0x{packet['zcl.cmd']:02X}, not a Consumer Top Up Response: {packet.summary()}")
        try:
            out.append((packet.number, zse.ConsumerTopUpResponse.decode(packet["zcl.payload"])))
        except InputError as exc:
            raise AssertionError(f"frame #{packet.number}: malformed Consumer Top Up Response: {exc}") from None
    return out


def top_ups_sent(han, since: float) -> list[int]:
    """Frame numbers of the ZSE Consumer Top Up commands the PPMID sent the ESME after `since`."""
    return [p.number for p in han.air().filter(lambda p: p.time >= since, layer="zcl", src=han.eui_int("ppmid"),
                                               dst=han.eui_int("esme"), cluster=zse.CLUSTER_ID,
                                               zcl_cmd=zse.CONSUMER_TOP_UP).all()]


def type_on_ppmid(han, keypad, evidence, utrn: str, state: str) -> float:
    """The consumer types `utrn` and '#' on the PPMID (the rig's, not the device under test) and the top-up has time
    to be carried; when it was typed. BenchFault when the PPMID put no Consumer Top Up on the air."""
    typed = han.clock.now()
    keypad.press(utrn + "#")
    han.run_for(CARRIAGE)
    evidence.append("prepayment.txt", f"{state}: typed {utrn}; PPMID shows {keypad.display()!r}")
    if not top_ups_sent(han, typed):
        raise BenchFault("the rig's PPMID put no Consumer Top Up on the air")
    return typed


def esme_listed_by_ppmid(han) -> None:
    """Topology: the CH commissioned; the PPMID joins its HAN, then the ESME, whose Device_annce tells the PPMID its
    network address [I: the simulated radios do no ZDO address discovery]; the ESME commissioned; SRV 8.7.1's first
    half (CS03A2) puts the ESME in the PPMID's Device Log."""
    han.commission_ch()
    for role in ("ppmid", "esme"):
        install(han, role)
    assert commission(han, "esme").ok, "precondition: SRV 8.1.1 failed for the ESME"
    assert joined(han, "ppmid", CS03A2, "esme", critical=True).ok, "precondition: the PPMID did not take CS03A2"


def utrn_for(han, counter: int) -> str:
    """A valid 5-pound UTRN from the ESME's supplier with the UTRN counter `counter`."""
    esme = han.eui("esme")
    return generate(utrn_secret(han.provisioning.keystore, SUPPLIER, esme), SUPPLIER, esme, counter, 5,
                    ValueClass.POUNDS).text


def accepted_top_up(han, typed: float, counter: int) -> bool:
    """The ESME answered the PPMID's top-up typed at `typed` with ACCEPTED on the air, and reported it to its
    supplier (an accepted CS01a for the UTRN counter `counter`)."""
    answered = top_up_responses(han, typed)
    reports = reported(han, counter)
    return bool(answered) and answered[0][1].result is zse.ResultType.ACCEPTED and bool(reports) \
        and pp.top_up_accepted(reports[0].header.message_code, reports[0].header.payload)


def reported(han, counter: int) -> list:
    """The CS01a responses for the UTRN counter `counter` that the ESME sent its supplier unasked (verified by the
    DCC core: a locally applied top-up, BAD 7.3.2.5.5)."""
    return [r for r in han.devices.unsolicited
            if r.header.originator == han.eui("esme") and r.header.counter == counter]


@pytest.mark.scenario(32, 75)
@pytest.mark.clause("BAD 7.3.2.5.5; 7.2.1.6.12 (a meter acts on HAN traffic only from devices in its Device Log)")
@pytest.mark.roles("chf", "esme", "ppmid")
@pytest.mark.dut("esme")
@pytest.mark.ui("ppmid")
def test_top_up_from_a_ppmid_absent_from_the_meters_log_is_ignored(han, ui, evidence):
    keypad = ui("ppmid")
    # Topology: SRV 8.7.1's first half only: CS03A2 puts the ESME in the PPMID's log, the ESME's log lacks the PPMID
    esme_listed_by_ppmid(han)
    counter = 1 << 32
    utrn = utrn_for(han, counter)

    # Action: the consumer types a valid UTRN on the PPMID, which sends it to the ESME (ZSE Consumer Top Up)
    typed = type_on_ppmid(han, keypad, evidence, utrn, "PPMID not in the ESME's log")

    # "Device receiving HAN traffic from a peer absent from its own Device Log ignores it (e.g. top-up from
    # unlisted PPMID)": no answer on the air, and nothing applied (no CS01a report of the top-up to the supplier)
    answered = top_up_responses(han, typed)
    assert not answered, f"the ESME answered a top-up from a PPMID not in its Device Log (frame #{answered[0][0]}: " \
                         f"{answered[0][1].result.name})"
    assert not reported(han, counter), "the ESME applied a top-up from a PPMID not in its Device Log (CS01a report)"

    # Positive control, same UTRN: SRV 8.7.1's second half (CS03A1) puts the PPMID in the ESME's log
    assert joined(han, "esme", CS03A1, "ppmid", critical=True).ok, "the ESME did not take CS03A1"
    typed = type_on_ppmid(han, keypad, evidence, utrn, "PPMID in the ESME's log")
    answered = top_up_responses(han, typed)
    assert answered, "the ESME did not answer a top-up from the PPMID in its Device Log"
    assert answered[0][1].result is zse.ResultType.ACCEPTED, \
        f"the ESME refused the top-up from its PPMID: {answered[0][1].result.name}"
    assert accepted_top_up(han, typed, counter), \
        f"no accepted CS01a report of the PPMID's top-up reached the DCC; refused: {han.devices.rejected}"


def switch_commands(han, since: float) -> list[int]:
    """Frame numbers of the ZCL On/Off "On" commands the ESME sent the HCALCS after `since` (the HAN command by
    which an ESME switches an HCALCS [I: the On/Off cluster, harness.zigbee.onoff])."""
    return [p.number for p in han.air().filter(lambda p: p.time >= since, layer="zcl", src=han.eui_int("esme"),
                                               dst=han.eui_int("hcalcs"), cluster=onoff.CLUSTER, zcl_cmd=onoff.ON).all()]


def activate_auxiliary_load(han) -> float:
    """SRV 7.5 (critical): ECS47 Activate Auxiliary Load to the ESME, answered with success; when it was sent."""
    sent = han.clock.now()
    outcome = load_control.activate(han.devices, SUPPLIER, han.eui("esme"))
    assert outcome.response is not None, f"no verified ECS47 response from the ESME; refused by the DCC: " \
                                         f"{[str(r) for r in han.devices.rejected]}"
    assert outcome.done, f"the ESME refused SRV 7.5: {outcome}"
    han.run_for(CARRIAGE)
    return sent


@pytest.mark.scenario(28)
@pytest.mark.clause("BAD 7.2.1.6.12; 7.5.5.5.2; AC 4.7; GBCS CS03A2, CS03A1, ECS47")
@pytest.mark.roles("chf", "esme", "hcalcs")
@pytest.mark.dut("esme", "hcalcs")
@pytest.mark.ui("hcalcs")
def test_hcalcs_joins_the_esme_which_then_switches_it(han, ui, evidence):
    switch = ui("hcalcs")
    # Topology: the CH commissioned, the ESME then the HCALCS whitelisted (CCS01, a Type 1 device) and joined, the
    # ESME Commissioned
    commissioned(han, "esme", "hcalcs")

    # Actions and checks: SRV 8.7.1 (critical): "CS03A2 → HCALCS", then "CS03A1 → ESME"
    joined_critically(han, "hcalcs", "esme")
    # "HCALCS associated; status inherits" (AC 4.7)
    assert han.smi.status(han.eui("hcalcs")) is Status.COMMISSIONED, "the HCALCS did not inherit the ESME's status"
    before = switch.supply()
    evidence.append("hcalcs.txt", f"joined: switch {'closed' if before else 'open'}, shows {switch.display()!r}")
    assert not before, "the HCALCS's switch is closed before its ESME switched it"

    # Action: SRV 7.5 Activate Auxiliary Load (ECS47) to the ESME
    sent = activate_auxiliary_load(han)

    # "ESME ... switches ... HCALCS (HAN command)": the command on the air, and the HCALCS's switch closed
    commands = switch_commands(han, sent)
    evidence.append("hcalcs.txt", f"after ECS47: On/Off On frames {commands}, switch "
                                  f"{'closed' if switch.supply() else 'open'}, shows {switch.display()!r}")
    assert commands, "the ESME sent its joined HCALCS no HAN command (On/Off On) after ECS47 Activate"
    assert switch.supply(), f"the HCALCS did not close its switch on its ESME's command (frame #{commands[0]})"


@pytest.mark.scenario(28, 32)
@pytest.mark.clause("BAD 7.2.1.6.12 (a device acts on HAN traffic only from devices in its Device Log); 7.5.5.5.2")
@pytest.mark.roles("chf", "esme", "hcalcs")
@pytest.mark.dut("hcalcs")
@pytest.mark.ui("hcalcs")
def test_hcalcs_ignores_switching_from_an_esme_absent_from_its_log(han, ui, evidence):
    switch = ui("hcalcs")
    # Topology: SRV 8.7.1's second half only: CS03A1 puts the HCALCS in the ESME's log, the HCALCS's log lacks the ESME
    commissioned(han, "esme", "hcalcs")
    assert joined(han, "esme", CS03A1, "hcalcs", critical=True).ok, "precondition: the ESME did not take CS03A1"

    # Action: the ESME is told to switch its auxiliary load (ECS47), and commands the HCALCS
    sent = activate_auxiliary_load(han)
    if not switch_commands(han, sent):
        raise BenchFault("the rig's ESME put no On/Off command to the HCALCS on the air")
    # "Device receiving HAN traffic from a peer absent from its own Device Log ignores it"
    ignored = switch.supply()
    evidence.append("hcalcs.txt", f"ESME not in the HCALCS's log: switch {'closed' if ignored else 'open'}")
    assert not ignored, "the HCALCS obeyed a switching command from an ESME not in its Device Log"

    # Positive control: CS03A2 puts the ESME in the HCALCS's log; the same command is then obeyed
    assert joined(han, "hcalcs", CS03A2, "esme", critical=True).ok, "the HCALCS did not take CS03A2"
    sent = activate_auxiliary_load(han)
    assert switch_commands(han, sent), "the rig's ESME sent no On/Off command the second time"
    evidence.append("hcalcs.txt", f"ESME in the HCALCS's log: switch {'closed' if switch.supply() else 'open'}")
    assert switch.supply(), "the HCALCS did not obey a switching command from the ESME in its Device Log"
