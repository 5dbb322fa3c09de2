"""Prepayment over the DCC (BAD 7.3.2.5.5): SRV 2.2 remote top-up credits once, the same UTRN is refused whichever
way it comes second, and a UTRN typed on the meter is reported to the supplier (the CS01a/b response the DCC
turns into its alert, and 0x810E "Credit Added Locally" with the UTC time); credit below the disablement threshold
disables the supply, except inside a non-disablement period of the calendar SRV 2.1 sets (0x8F83 then).

Topology: CHF and the meter (ESME or GSME) on the HAN, installed and commissioned; the meter is the device under
test. The rig plays the supplier (UTRNs made with the bench SMKI's supplier prepayment key; SRV 2.2 through the DCC
core) and the consumer (the meter's keypad and display). Checks read the DCC core (verified responses, alerts and
the DCC's own alerts) and the meter's display.
"""
from __future__ import annotations

import time

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import prepayment as pp
from harness.dcc.devices import LOCAL_TOP_UP_ALERT
from meter_steps import CARRIAGE, accepted, commissioned, device_alerts, meter  # noqa: F401 (fixture)


@pytest.mark.scenario(68)
@pytest.mark.clause("BAD 7.3.2.5.5; GBCS CS01a / CS01b")
def test_remote_top_up_credits_once(meter):
    commissioned(meter)
    sent = meter.remote(lambda counter: meter.utrn(counter, 10))

    # "Remote top-up: 2.2 → CS01a (ESME) / CS01b (GSME) … ⇒ add credit": the response says applied
    assert accepted(sent), "the meter refused a valid UTRN sent by SRV 2.2"
    # "meter balance increases" by the UTRN's £10
    assert "10.00" in meter.ui.display(), f"the display shows {meter.ui.display()!r} after a £10 top-up"


@pytest.mark.scenario(69)
@pytest.mark.clause("BAD 7.3.2.5.5; GBCS 14 (UTRN counter cache)")
def test_utrn_typed_first_is_refused_by_srv_2_2(meter):
    commissioned(meter)
    first = meter.remote(lambda counter: meter.utrn(counter, 5))
    assert accepted(first), "precondition: the meter refused a first remote top-up"
    # The supplier's next UTRN (counter one step on) is typed on the keypad first ...
    counter = first.command.header.counter + pp.UTRN_ALIGN
    token = meter.utrn(counter, 7)
    display = meter.ui.enter(token)
    # positive control: the keypad entry credits £7 (£12 in all)
    assert "12.00" in meter.ui.display() or "12.00" in display, f"the keypad UTRN was not credited: {display!r}"
    meter.han.run_for(CARRIAGE)  # its CS01 report reaches the DCC before the supplier sends the same UTRN

    def same_utrn(reserved: int) -> str:
        assert reserved == counter, f"rig: the DCC reserved counter {reserved:016X}, expected {counter:016X}"
        return token

    # ... then arrives by SRV 2.2 under its own counter: "Same UTRN re-applied (remote, keypad …) → rejected"
    again = meter.remote(same_utrn)
    assert not accepted(again), "the meter credited by SRV 2.2 a UTRN already applied on its keypad"
    assert "12.00" in meter.ui.display(), f"the balance changed: {meter.ui.display()!r}"


@pytest.mark.scenario(69)
@pytest.mark.clause("BAD 7.3.2.5.5; GBCS 14 (UTRN counter cache)")
def test_remote_utrn_typed_again_is_refused(meter):
    commissioned(meter)
    sent = meter.remote(lambda counter: meter.utrn(counter, 3))
    assert accepted(sent), "precondition: the meter refused a remote top-up"
    display = meter.ui.enter(sent.utrn)

    # "Same UTRN re-applied … → rejected by Originator Counter"
    assert "REJECTED" in display, f"the keypad accepted a UTRN applied by SRV 2.2: {display!r}"
    assert "3.00" in meter.ui.display() and "6.00" not in meter.ui.display(), f"balance changed: {meter.ui.display()!r}"


@pytest.mark.scenario(73)
@pytest.mark.clause("BAD 7.3.2.5.5 (Consumer UTRN at meter: CS01a/b Response → DCC Alert, 0x810E with UTC time)")
def test_keypad_top_up_is_reported_to_the_supplier(meter):
    commissioned(meter)
    han = meter.han
    typed_at = han.clock.now()
    meter.ui.enter(meter.utrn(1 << 32, 10))
    han.run_for(CARRIAGE)

    # "success: balance up, CS01a/b Response → DCC → DCC Alert to Supplier"
    reports = [r for r in han.devices.unsolicited if r.header.originator == meter.eui]
    assert reports, f"no CS01 response reached the DCC for the keypad top-up; refused: {han.devices.rejected}"
    assert pp.top_up_accepted(reports[0].header.message_code, reports[0].header.payload), \
        "the CS01 response says the UTRN was not applied"
    assert reports[0].header.counter == 1 << 32, "the CS01 response does not carry the UTRN's counter"
    assert han.smi.alerts_for(meter.eui, LOCAL_TOP_UP_ALERT), "the DCC raised no alert for the local top-up"
    # "plus 0x810E 'Credit Added Locally' with UTC timestamp"
    alerts = [pp.device_alert(a) for a in han.devices.alerts if a.header.originator == meter.eui]
    added = [a for a in alerts if a is not None and a.code == 0x810E]
    assert added, f"no 0x810E alert; device alerts seen: {[hex(a.code) for a in alerts if a]}"
    assert abs(added[0].time - typed_at) <= 5.0, f"0x810E says {added[0].time}, the UTRN was typed at {typed_at}"


@pytest.mark.scenario(77, 95)
@pytest.mark.clause("BAD 7.3.2.5.3 (disablement: Disabled + 0x8F0F); BAD 7.5.4.6.1 (Armed + 0x8F32, the consumer "
                    "enables)")
def test_credit_runs_out_then_top_up_arms_and_the_consumer_enables(meter):
    commissioned(meter)
    han = meter.han
    assert accepted(meter.remote(lambda counter: meter.utrn(counter, 1))), "precondition: £1 top-up refused"
    # Action: the consumer uses 100 kW for six minutes (the bench's load on the meter), more than £1 of energy
    han.device(meter.role).apply_load(100_000)
    han.run_for(360)
    han.run_for(CARRIAGE)

    # "Disablement: combined credit < Disablement Threshold → disable supply, UI alert, 0x8F0F"
    assert not meter.ui.supply_on(), "the supply is still on with the credit used up"
    codes = device_alerts(meter)
    assert 0x8F0F in codes, f"no 0x8F0F alert; device alerts: {[hex(c) for c in codes]}"
    # A top-up restores the credit: the supply is armed (0x8F32), not enabled
    assert accepted(meter.remote(lambda counter: meter.utrn(counter, 10))), "the £10 top-up was refused"
    han.run_for(CARRIAGE)
    codes = device_alerts(meter)
    assert 0x8F32 in codes, f"no 0x8F32 Supply Armed alert; device alerts: {[hex(c) for c in codes]}"
    # "Enable (local): consumer at meter UI … after Arm": not before the consumer acts ...
    assert not meter.ui.supply_on(), "the supply came back on without the consumer"
    # ... and on the consumer's press
    meter.ui.press("enable")
    assert meter.ui.supply_on(), "the armed supply did not come on when the consumer enabled it"


@pytest.mark.scenario(78)
@pytest.mark.clause("BAD 7.3.2.5.4 (local EC activation: 0x8119); BAD 7.5.1.5.3 (the Privacy PIN gates EC activation)")
def test_local_emergency_credit_needs_the_privacy_pin_once_one_is_set(meter):
    commissioned(meter)
    assert "EC AVAILABLE" in meter.ui.display(), \
        f"precondition: the meter with no credit does not offer emergency credit: {meter.ui.display()!r}"
    # The consumer sets a Privacy PIN at the meter
    shown = meter.ui.keys("2468D")
    assert "PIN SET" in shown, f"the meter did not take the Privacy PIN: {shown!r}"

    # "local activation with Privacy PIN set but not entered → refused"
    refused = meter.ui.press("emergency")
    assert "REFUSED" in refused and "EC AVAILABLE" in meter.ui.display(), \
        f"the meter activated emergency credit without the Privacy PIN: {refused!r}"
    # Positive control, same state: "EC: local activation → 0x8119" with the PIN entered
    meter.ui.keys("2468")
    accepted_ec = meter.ui.press("emergency")
    assert "EC ACTIVE" in accepted_ec and "5.00" in accepted_ec, f"the PIN did not activate EC: {accepted_ec!r}"
    meter.han.run_for(CARRIAGE)
    codes = device_alerts(meter)
    assert codes.count(0x8119) == 1, f"expected one 0x8119 EC activated alert; device alerts: {[hex(c) for c in codes]}"


@pytest.mark.scenario(77)
@pytest.mark.clause("BAD 7.3.2.5.3 (low credit: balance < LowCreditThreshold → notify via the meter UI, 0x810D)")
def test_low_credit_is_shown_and_alerted_with_the_supply_left_on(meter):
    commissioned(meter)
    han = meter.han
    assert accepted(meter.remote(lambda counter: meter.utrn(counter, 5))), "precondition: £5 top-up refused"
    # Positive control: with £5 the meter shows no low credit
    assert "LOW" not in meter.ui.display(), f"the meter shows low credit with £5: {meter.ui.display()!r}"
    before = device_alerts(meter).count(0x810D)

    # Action: the consumer uses 100 kW for five minutes (£2.50 at the bench's price): below the £3 threshold
    han.device(meter.role).apply_load(100_000)
    han.run_for(300)
    han.device(meter.role).apply_load(0)
    # "Low credit: … notify via meter UI …; alert 0x810D"
    assert "LOW" in meter.ui.display(), f"the meter does not show low credit: {meter.ui.display()!r}"
    han.run_for(CARRIAGE)
    codes = device_alerts(meter)
    assert codes.count(0x810D) == before + 1, f"expected one new 0x810D alert; device alerts: {[hex(c) for c in codes]}"
    # low credit is not exhausted credit: the supply stays on
    assert meter.ui.supply_on(), "the supply went off with credit left"


@pytest.mark.scenario(79)
@pytest.mark.clause("BAD 7.3.2.5.1 (SRV 1.6 Update Payment Mode: ECS02 / GCS02 credit, ECS03 / GCS03 prepayment; balance "
                    "kept); SRV 6.2.9 ECS26j reads the ESME's mode back")
def test_payment_mode_switch_both_ways_keeps_the_balance(meter):
    commissioned(meter)
    assert accepted(meter.remote(lambda counter: meter.utrn(counter, 7))), "precondition: £7 top-up refused"
    assert "7.00" in meter.ui.display() and "CREDIT MODE" not in meter.ui.display(), \
        f"precondition: the meter is not in prepayment mode with £7: {meter.ui.display()!r}"
    esme = meter.role == "esme"
    switches = ((pp.ECS02, "credit"), (pp.ECS03, "prepayment")) if esme else \
        ((pp.GCS02, "credit"), (pp.GCS03, "prepayment"))

    for code, mode in switches:
        payload = pp.account_mode_payload(code) if esme else pp.payment_mode_payload(code)
        command, response = meter.han.devices.request(SUPPLIER, meter.eui, code, payload, critical=True,
                                                      what=f"SRV 1.6 to {mode} mode")
        shown = meter.ui.display()
        meter.evidence.append("prepayment.txt", f"SRV 1.6 {mode}: {'response' if response else 'none'} -> {shown}")
        # "Set payment mode … set mode … Service Response"
        assert response is not None, f"no verified response to the switch to {mode} mode"
        changed = pp.dlms_success("ECS02/ECS03", response.header.payload) if esme else \
            pp.payment_mode_changed(response.header.payload)
        assert changed, f"the meter did not confirm the switch to {mode} mode"
        assert ("CREDIT MODE" in shown) == (mode == "credit"), f"the meter does not show {mode} mode: {shown!r}"
        if esme:  # "read via 6.2.9 (ECS26j …)"
            _, read = meter.han.devices.request(SUPPLIER, meter.eui, pp.ECS26J, pp.ecs26j_payload, critical=False,
                                                what="SRV 6.2.9 payment mode")
            assert read is not None, "no verified response to SRV 6.2.9 (ECS26j)"
            expected = pp.CREDIT_MODE if mode == "credit" else pp.PREPAYMENT_MODE
            assert pp.payment_mode_read(read.header.payload) == expected, f"ECS26j does not read {mode} mode"
        # "a payment mode switch keeps the meter balance"
        assert "7.00" in shown, f"the balance changed with the switch to {mode} mode: {shown!r}"


@pytest.mark.scenario(78)
@pytest.mark.clause("BAD 7.3.2.5.4 (remote EC activation: SRV 2.5, ECS09 / GCS06); BAD 7.5.1.5.3 (the PIN gates local "
                    "activation only)")
def test_remote_emergency_credit_needs_no_pin_and_is_given_once(meter):
    commissioned(meter)
    shown = meter.ui.keys("1357D")
    assert "PIN SET" in shown and "EC AVAILABLE" in meter.ui.display(), \
        f"precondition: no PIN set or no emergency credit offered: {shown!r}, {meter.ui.display()!r}"
    code = pp.ECS09 if meter.role == "esme" else pp.GCS06
    payload = pp.ecs09_payload if meter.role == "esme" else pp.gcs06_payload()

    def srv_2_5() -> bool:
        _, response = meter.han.devices.request(SUPPLIER, meter.eui, code, payload, critical=True, what="SRV 2.5")
        assert response is not None, "no verified SRV 2.5 response"
        done = pp.emergency_credit_activated(code, response.header.payload)
        meter.evidence.append("prepayment.txt", f"SRV 2.5: {'activated' if done else 'refused'} -> {meter.ui.display()}")
        return done

    # "Remote EC activation: 2.5 (ECS09/GCS06) → activate EC", whatever PIN the consumer set
    assert srv_2_5(), "the meter refused SRV 2.5 emergency credit activation"
    shown = meter.ui.display()
    assert "EC 5.00" in shown, f"the meter does not show £5 of emergency credit in use: {shown!r}"
    meter.han.run_for(CARRIAGE)
    codes = device_alerts(meter)
    assert 0x8119 in codes, f"no 0x8119 EC activated alert; device alerts: {[hex(c) for c in codes]}"
    # the same request again, with emergency credit in use, gives nothing more
    assert not srv_2_5(), "the meter activated emergency credit already in use"
    assert meter.ui.display() == shown, f"the credit changed: {shown!r} -> {meter.ui.display()!r}"


@pytest.mark.scenario(77)
@pytest.mark.clause("BAD 7.3.2.5.3 (non-disablement periods: NonDisablementCalendar suspends disablement, 0x8F83; "
                    "outside them, below the disablement threshold → Disabled + 0x8F0F); SRV 2.1 ECS08")
@pytest.mark.parametrize("meter", [pytest.param("esme", marks=[pytest.mark.roles("chf", "esme"), pytest.mark.dut("esme"),
                                                               pytest.mark.ui("esme")])], indirect=True)
def test_credit_runs_out_inside_a_non_disablement_period_then_after_it(meter):
    commissioned(meter)
    han = meter.han
    if time.gmtime(han.clock.now()).tm_hour == 23:  # a period inside one UTC day keeps the calendar simple
        han.run_for(3600)
    now = time.gmtime(han.clock.now())
    period_end = now.tm_hour * 60 + now.tm_min + 10
    calendar = [pp.Switch(True, now.tm_hour, now.tm_min), pp.Switch(False, period_end // 60, period_end % 60)]

    # Action: SRV 2.1 (ECS08) sets a non-disablement period from this minute for ten minutes, every day
    _, response = han.devices.request(SUPPLIER, meter.eui, pp.ECS08, lambda c: pp.ecs08_payload(c, [], calendar),
                                      critical=True, what="SRV 2.1 non-disablement calendar")
    assert response is not None and pp.dlms_success("ECS08", response.header.payload, results=18), \
        "the meter did not confirm the SRV 2.1 non-disablement calendar"
    # Action: the consumer uses 100 kW for two minutes with no credit: the credit is below the disablement threshold
    han.device(meter.role).apply_load(100_000)
    han.run_for(120)
    han.device(meter.role).apply_load(0)
    han.run_for(CARRIAGE)

    # "in non-disablement period → stays on + 0x8F83"
    assert meter.ui.supply_on(), f"the supply went off inside a non-disablement period: {meter.ui.display()!r}"
    codes = device_alerts(meter)
    assert 0x8F83 in codes and 0x8F0F not in codes, \
        f"expected 0x8F83 (disablement suspended) and no 0x8F0F; device alerts: {[hex(c) for c in codes]}"

    # Positive control, same credit: the period ends ("below disablement → Disabled + 0x8F0F")
    han.run_for(10 * 60)
    assert not meter.ui.supply_on(), f"the supply stayed on after the non-disablement period: {meter.ui.display()!r}"
    han.run_for(CARRIAGE)
    codes = device_alerts(meter)
    assert 0x8F0F in codes, f"no 0x8F0F after the non-disablement period; device alerts: {[hex(c) for c in codes]}"
