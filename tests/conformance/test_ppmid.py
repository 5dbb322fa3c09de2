"""The PPMID as the consumer's way to top up (BAD 7.3.2.5.5): a UTRN typed on the PPMID reaches the ESME as a ZSE
Consumer Top Up, or the GSME as PCS01 through the CH (queued for the sleepy GSME, han-transport.md 2), which the meter
credits once, answers on the HAN and reports like a keypad entry (its CS01a/b response to the supplier and 0x810E
"Credit Added Locally" with the UTC time). Emergency credit selected on the PPMID (ZSE Select Available Emergency
Credit to the ESME, PCS02 to the GSME) is a local activation: given with 0x8119, refused while a Privacy PIN is set
(BAD 7.3.2; the PIN rule as firmware/roles/prepay.py infers it). The GSME checks the MAC of PCS01 and PCS02 (PPMID
KA x GSME KA, gbcs.md 2.5).

Topology: CH commissioned, the PPMID and the meter on its HAN, the meter commissioned; SRV 8.7.1 joins the PPMID and
the ESME both ways (CS03A2, CS03A1), SRV 8.7.2 the PPMID and the GSME (CS03B to the GPF, CS03C to both, each with the
other's KA certificate as the RTDS CS03C carries). The meter is the device under test; the rig's PPMID carries the
consumer's entry. Checks read the air (the ZSE exchange; the GSME's PCS01 response in its tunnel), the DCC core (the
verified CS01a/b report and device alerts) and the meter's display.
(A PPMID absent from the ESME's Device Log is ignored: scenario 75, shown by test_pairing.py's scenario 32 test.)
"""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from emulators.provision import SUPPLIER
from harness.dcc import prepayment as pp
from harness.dcc.devices import CS03A1, CS03B, CS03C
from harness.errors import BenchFault, InputError
from harness.gbcs.apdu import Message
from harness.gbcs.gbz import GbzPayload
from harness.gbcs.utrn import ValueClass, generate, utrn_secret
from harness.zigbee import prepayment as zse, tunnel
from device_steps import commissioned
from meter_steps import CARRIAGE, MeterUi
from test_pairing import accepted_top_up, esme_listed_by_ppmid, joined, top_up_responses, type_on_ppmid, utrn_for

CREDIT_ADDED_LOCALLY = 0x810E
PCS01, PCS02 = 0x009B, 0x0090
GAS_CARRIAGE = 150.0  # seconds: the PCS01 waits on the CH for the GSME's wake-up, its reports go up when it wakes


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
    credit_added_locally(han, "esme", typed, 30.0)


def credit_added_locally(han, meter: str, typed: float, within: float) -> None:
    """The meter raised 0x810E "Credit Added Locally" with a UTC time within `within` seconds of `typed`."""
    alerts = [pp.device_alert(a) for a in han.devices.alerts if a.header.originator == han.eui(meter)]
    added = [a for a in alerts if a is not None and a.code == CREDIT_ADDED_LOCALLY]
    assert added, f"no 0x810E alert; device alerts: {[hex(a.code) for a in alerts if a]}"
    assert abs(added[0].time - typed) <= within, f"0x810E says {added[0].time}, the UTRN was typed at {typed}"


def ka_certificate(han, role: str) -> bytes:
    """The role's KA certificate (DER) from the bench SMKI, as a CS03C carries it."""
    return han.provisioning.keystore.certificate(han.eui(role), "ka").public_bytes(Encoding.DER)


def gsme_joined_with_ppmid(han) -> None:
    """Topology: the CH commissioned, the GSME and the PPMID on its HAN, the GSME commissioned; SRV 8.7.2: CS03B to
    the GPF, CS03C to the GSME and to the PPMID, each naming the other with its KA certificate."""
    commissioned(han, "gsme", "ppmid")
    answers = {"GPF (CS03B)": joined(han, "gpf", CS03B, "ppmid", critical=False),
               "GSME (CS03C)": han.devices.join(SUPPLIER, han.eui("gsme"), CS03C, han.eui("ppmid"), "ppmid",
                                                critical=False, certificate=ka_certificate(han, "ppmid")),
               "PPMID (CS03C)": han.devices.join(SUPPLIER, han.eui("ppmid"), CS03C, han.eui("gsme"), "gsme",
                                                 critical=False, certificate=ka_certificate(han, "gsme"))}
    for name, answer in answers.items():
        assert answer.ok, f"precondition: the {name} join failed: {answer.detail}"


def pcs_frames(han, src: str, dst: str, since: float, cra: int, code: int = PCS01) -> list[tuple[int, Message]]:
    """(frame number, message) of each PCS01 / PCS02 (`code`; CRA `cra`: 1 command, 2 response) in the tunnel from
    `src` to `dst` after `since` (whole messages: a PCS fits one transfer)."""
    out = []
    for packet in han.air().filter(lambda p: p.time >= since, layer="tunnel", src=han.eui_int(src),
                                   dst=han.eui_int(dst)).all():
        data = packet["tunnel.data"]
        try:
            kind, unit = tunnel.parse_queue(data)
            message = Message.decode(unit) if unit else None
        except InputError:
            continue  # not queue data of a whole message (the CHF's tunnels to servers carry no header)
        if message is not None and message.grouping.message_code == code and message.grouping.cra == cra:
            out.append((packet.number, message))
    return out


def gsme_answers(han, since: float) -> list[tuple[int, zse.ConsumerTopUpResponse]]:
    """(frame number, Consumer Top Up Response) of each PCS01 response the GSME put up its tunnel after `since`."""
    out = []
    for number, message in pcs_frames(han, "gsme", "chf", since, cra=2):
        try:
            [comp] = GbzPayload.decode(message.grouping.payload).components
            out.append((number, zse.ConsumerTopUpResponse.decode(comp.zcl_payload)))
        except (InputError, ValueError) as exc:
            raise AssertionError(f"frame #{number}: the GSME's PCS01 response is not one Consumer Top Up "
                                 f"Response: {exc}") from None
    return out


def type_on_ppmid_for_gas(han, keypad, evidence, utrn: str, state: str) -> float:
    """The consumer types `utrn` and '#' on the PPMID set to the gas meter; when it was typed. BenchFault when the
    rig's CH never handed the PCS01 to the GSME."""
    typed = han.clock.now()
    keypad.press(utrn + "#")
    han.run_for(GAS_CARRIAGE)
    evidence.append("prepayment.txt", f"{state}: typed {utrn}; PPMID shows {keypad.display()!r}")
    if not pcs_frames(han, "chf", "gsme", typed, cra=1):
        raise BenchFault("the rig's PPMID and CH put no PCS01 in the GSME's tunnel")
    return typed


def gas_reports(han, counter: int) -> list:
    """The CS01b responses for the UTRN counter `counter` the GSME sent its supplier unasked (verified by the DCC)."""
    return [r for r in han.devices.unsolicited
            if r.header.originator == han.eui("gsme") and r.header.counter == counter]


@pytest.mark.scenario(74, 69)
@pytest.mark.clause("BAD 7.3.2.5.5 (Consumer UTRN at PPMID: GSME via PCS01, command authenticity checked, the UTRN "
                    "checks, credit, CS01b report, 0x810E with UTC time); GBCS PCS01 (MAC PPMID KA x GSME KA)")
@pytest.mark.roles("chf", "gpf", "gsme", "ppmid")
@pytest.mark.dut("gsme")
@pytest.mark.ui("ppmid", "gsme")
def test_utrn_typed_on_the_ppmid_reaches_the_gsme_as_pcs01_and_credits_once(han, ui, evidence):
    keypad, meter = ui("ppmid"), ui("gsme")
    gsme_joined_with_ppmid(han)
    counter = 1 << 32
    utrn = generate(utrn_secret(han.provisioning.keystore, SUPPLIER, han.eui("gsme")), SUPPLIER, han.eui("gsme"),
                    counter, 5, ValueClass.POUNDS).text
    keypad.press("C")  # the PPMID's meter selection: the gas meter

    # Action: a PCS01 whose MAC does not verify (the rig's PPMID plays a forger) carries a valid UTRN
    han.device("ppmid").forge_next_pcs()
    forged = type_on_ppmid_for_gas(han, keypad, evidence, utrn, "PCS01 with a bad MAC")
    # "then authenticates (… GSME: command authenticity/integrity verification)": no answer, no credit, no report
    assert not gsme_answers(han, forged), "the GSME answered a PCS01 whose MAC does not verify"
    assert not gas_reports(han, counter), "the GSME applied the UTRN of a PCS01 whose MAC does not verify"
    meter.press("*")
    assert "CREDIT 0.00" in meter.display(), f"the GSME credited a forged PCS01: {meter.display()!r}"

    # Positive control, same UTRN, an authentic PCS01: "PPMID UTRN → … GSME via PCS01 → credit + 0x810E"
    typed = type_on_ppmid_for_gas(han, keypad, evidence, utrn, "authentic PCS01")
    answered = gsme_answers(han, typed)
    assert answered and answered[0][1].result is zse.ResultType.ACCEPTED, \
        f"the GSME did not accept the PPMID's PCS01: {[r.result.name for _, r in answered]}"
    reports = gas_reports(han, counter)
    assert reports and pp.top_up_accepted(pp.CS01B, reports[0].header.payload), \
        f"no accepted CS01b report of the PPMID's top-up reached the DCC; refused: {han.devices.rejected}"
    meter.press("*")
    shown = meter.display()
    evidence.append("prepayment.txt", f"GSME shows {shown!r}")
    assert "CREDIT 5.00" in shown, f"the GSME's balance is not £5 after the PPMID's top-up: {shown!r}"
    credit_added_locally(han, "gsme", typed, 60.0)  # applied at the GSME's next wake-up (every 30 s)

    # "Same UTRN re-applied (… PPMID …) → rejected by Originator Counter": credited once
    again = type_on_ppmid_for_gas(han, keypad, evidence, utrn, "the same UTRN again")
    answered = gsme_answers(han, again)
    assert answered and answered[0][1].result is zse.ResultType.REJECTED_DUPLICATE_TOP_UP, \
        f"the GSME did not refuse the same UTRN as a duplicate: {[r.result.name for _, r in answered]}"
    meter.press("*")
    assert "CREDIT 5.00" in meter.display(), f"the GSME credited the same UTRN twice: {meter.display()!r}"


EC_ACTIVATED = 0x8119
FUELS = [pytest.param("esme", marks=[pytest.mark.roles("chf", "esme", "ppmid"), pytest.mark.dut("esme"),
                                     pytest.mark.ui("ppmid", "esme")]),
         pytest.param("gsme", marks=[pytest.mark.roles("chf", "gpf", "gsme", "ppmid"), pytest.mark.dut("gsme"),
                                     pytest.mark.ui("ppmid", "gsme")])]


def paired_with_ppmid(han, keypad, fuel: str) -> None:
    """Topology: the meter commissioned and joined both ways with the PPMID (SRV 8.7.1 for an ESME, 8.7.2 for a
    GSME), the PPMID set to that meter."""
    if fuel == "esme":
        esme_listed_by_ppmid(han)
        assert joined(han, "esme", CS03A1, "ppmid", critical=True).ok, "precondition: the ESME did not take CS03A1"
    else:
        gsme_joined_with_ppmid(han)
        keypad.press("C")


def select_ec_on_ppmid(han, keypad, evidence, fuel: str, state: str) -> float:
    """The consumer selects emergency credit on the PPMID; when. BenchFault when the rig's PPMID (and CH) put no
    Select Available Emergency Credit (ZSE to the ESME, PCS02 in the GSME's tunnel) on the air."""
    pressed = han.clock.now()
    keypad.press("A")
    han.run_for(GAS_CARRIAGE if fuel == "gsme" else CARRIAGE)
    evidence.append("prepayment.txt", f"{state}: EC selected on the PPMID, which shows {keypad.display()!r}")
    if fuel == "gsme":
        sent = pcs_frames(han, "chf", "gsme", pressed, cra=1, code=PCS02)
    else:
        sent = han.air().filter(lambda p: p.time >= pressed, layer="zcl", src=han.eui_int("ppmid"),
                                dst=han.eui_int("esme"), cluster=zse.CLUSTER_ID,
                                zcl_cmd=zse.SELECT_AVAILABLE_EMERGENCY_CREDIT).all()
    if not sent:
        raise BenchFault(f"the rig's PPMID put no emergency credit selection for the {fuel} on the air")
    return pressed


def pcs02_statuses(han, since: float) -> list[int]:
    """The Default Response status of each PCS02 response the GSME put up its tunnel after `since`."""
    out = []
    for number, message in pcs_frames(han, "gsme", "chf", since, cra=2, code=PCS02):
        try:
            [comp] = GbzPayload.decode(message.grouping.payload).components
        except (InputError, ValueError) as exc:
            raise AssertionError(f"frame #{number}: the GSME's PCS02 response is malformed: {exc}") from None
        if (comp.cluster, comp.command, len(comp.zcl_payload)) != (zse.CLUSTER_ID, 0x0B, 2) or comp.zcl_payload[0]:
            raise AssertionError(f"frame #{number}: the GSME's PCS02 response is not a Default Response to Select "
                                 "Available Emergency Credit")
        out.append(comp.zcl_payload[1])
    return out


def ec_alerts(han, fuel: str) -> int:
    alerts = [pp.device_alert(a) for a in han.devices.alerts if a.header.originator == han.eui(fuel)]
    return sum(1 for a in alerts if a is not None and a.code == EC_ACTIVATED)


@pytest.mark.scenario(78)
@pytest.mark.clause("BAD 7.3.2 (local EC activation: consumer via meter UI or PPMID → activate EC; 0x8119); GBCS "
                    "PCS02 (MAC PPMID KA x GSME KA)")
@pytest.mark.parametrize("fuel", FUELS)
def test_emergency_credit_selected_on_the_ppmid_is_given_by_the_meter(han, ui, evidence, fuel):
    keypad, meter = ui("ppmid"), MeterUi(ui(fuel), evidence)
    paired_with_ppmid(han, keypad, fuel)
    assert "EC AVAILABLE" in meter.display(), f"precondition: no emergency credit offered: {meter.display()!r}"
    if fuel == "gsme":
        # Action: a PCS02 whose MAC does not verify (the rig's PPMID plays a forger)
        han.device("ppmid").forge_next_pcs()
        forged = select_ec_on_ppmid(han, keypad, evidence, fuel, "PCS02 with a bad MAC")
        # "GSME: command authenticity/integrity verification": no answer, emergency credit still only offered
        assert not pcs02_statuses(han, forged), "the GSME answered a PCS02 whose MAC does not verify"
        assert "EC AVAILABLE" in meter.display() and not ec_alerts(han, fuel), \
            f"the GSME activated emergency credit for a forged PCS02: {meter.display()!r}"

    # Action (positive control): the consumer selects emergency credit on the PPMID
    pressed = select_ec_on_ppmid(han, keypad, evidence, fuel, "no Privacy PIN set")
    # "Local EC activation: consumer via meter UI or PPMID → activate EC; 0x8119"
    shown = meter.display()
    assert "EC 5.00" in shown, f"the {fuel} did not activate £5 of emergency credit for its PPMID: {shown!r}"
    if fuel == "gsme":
        assert pcs02_statuses(han, pressed) == [0x00], "the GSME did not answer the PCS02 with success"
    han.run_for(GAS_CARRIAGE if fuel == "gsme" else CARRIAGE)
    assert ec_alerts(han, fuel) == 1, f"expected one 0x8119 alert from the {fuel}"


@pytest.mark.scenario(78)
@pytest.mark.clause("BAD 7.3.2 (local EC activation via the PPMID needs the Privacy PIN if set); BAD 7.5.1.5.3")
@pytest.mark.parametrize("fuel", FUELS)
def test_emergency_credit_from_the_ppmid_is_refused_while_a_privacy_pin_is_set(han, ui, evidence, fuel):
    keypad, meter = ui("ppmid"), MeterUi(ui(fuel), evidence)
    paired_with_ppmid(han, keypad, fuel)
    assert "PIN SET" in meter.keys("2468D"), "precondition: the meter did not take the consumer's Privacy PIN"
    assert "EC AVAILABLE" in meter.display(), f"precondition: no emergency credit offered: {meter.display()!r}"

    # Action: the consumer selects emergency credit on the PPMID, where no PIN can be entered
    pressed = select_ec_on_ppmid(han, keypad, evidence, fuel, "Privacy PIN set")
    # "Local EC activation … (needs Privacy PIN if set)": refused, emergency credit still only offered
    assert "EC AVAILABLE" in meter.display(), \
        f"the {fuel} gave emergency credit selected on the PPMID through its Privacy PIN: {meter.display()!r}"
    if fuel == "gsme":
        assert pcs02_statuses(han, pressed) == [0xC0], "the GSME did not answer the PCS02 with a refusal (0xC0)"

    # Positive control, same state: the consumer enters the PIN on the meter and selects emergency credit there
    meter.keys("2468")
    assert "EC ACTIVE" in meter.press("emergency"), "the meter refused emergency credit with its Privacy PIN"
    han.run_for(GAS_CARRIAGE if fuel == "gsme" else CARRIAGE)
    assert ec_alerts(han, fuel) == 1, f"expected one 0x8119 alert from the {fuel} (the keypad's activation)"
