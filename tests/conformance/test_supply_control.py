"""Supply control over GBCS (BAD 7.5.4): the supplier disables and arms the supply (SRV 7.2 / 7.3: ECS43 / ECS44 on
an ESME, GCS32 / GCS39 on a GSME) and the consumer enables it; the GSME is never enabled remotely; Arm and Enable
change nothing when their precondition is not met; a tamper with the supply tamper state set (ECS81) locks the
supply until it is armed; a GSME that loses power closes its valve; a load limit breach (ECS28a settings) arms the
supply and restores it after the restoration period.

Topology: CHF and the meter (ESME or GSME) on the HAN, installed and commissioned; the meter is the device under
test. The rig plays the supplier (critical commands signed through the DCC core), the consumer (the meter's
display and enable button through its UI adapter) and the bench (tamper, power loss and load as physical actions).
Checks read the verified responses and device alerts at the DCC and what the meter's UI shows.
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import supply
from meter_steps import CARRIAGE, Meter, accepted, commissioned, device_alerts, meter  # noqa: F401 (fixture)

SUPPLY_ARMED, TAMPER, TAMPER_LOCKED, GAS_POWER_LOSS, DISABLEMENT = 0x8F32, 0x8F3F, 0x81BE, 0x8F1D, 0x8F0F
LOAD_LIMITED, LOAD_RESTORED = 0x8F33, 0x8F34


def only(role: str):
    """The `meter` fixture for `role` alone (a rule of that meter type)."""
    marks = [pytest.mark.roles("chf", role), pytest.mark.dut(role), pytest.mark.ui(role)]
    return pytest.mark.parametrize("meter", [pytest.param(role, marks=marks)], indirect=True)


def command(meter: Meter, code: int, **options) -> supply.Outcome:
    """A supply command from the supplier (the GSME's own where it has one); the outcome is kept as evidence."""
    out = supply.send(meter.han.devices, SUPPLIER, meter.eui, meter.role, code, **options)
    meter.evidence.append("supply.txt", f"{out.name}: {'no response' if out.response is None else out}"
                                        f" -> display {meter.ui.display()!r}, supply on {meter.ui.supply_on()}")
    return out


def alerts_after_carriage(meter: Meter) -> list[int]:
    """The meter's device alerts at the DCC once what it sent has arrived (a GSME sends when it wakes)."""
    meter.han.run_for(CARRIAGE)
    return device_alerts(meter)


@pytest.mark.scenario(95)
@pytest.mark.clause("BAD 7.5.4.6.1 (Arm: 0x8F32, Locked→Unlocked; the consumer enables), 7.5.4.6.3 (Disable: "
                    "Disabled, Locked)")
def test_disable_then_arm_then_the_consumer_enables(meter):
    commissioned(meter)
    assert meter.ui.supply_on(), "precondition: the commissioned meter's supply is not on"

    # "7.2 Disable → open switch / close valve; Disabled; Locked"
    off = command(meter, supply.ECS43)
    assert off.done, f"the meter did not carry out SRV 7.2 Disable: {off}"
    assert not meter.ui.supply_on(), "the supply is still on after SRV 7.2 Disable"
    assert "LOCKED" in meter.ui.display(), f"the meter does not show its supply locked: {meter.ui.display()!r}"
    # "Enable (local): consumer at meter UI … after Arm": pressing enable on a disabled supply does nothing
    meter.ui.press("enable")
    assert not meter.ui.supply_on(), "the consumer enabled a supply that was disabled and not armed"

    # "7.3 Arm → Armed + 0x8F32", Locked → Unlocked, and the supply stays off until the consumer acts
    armed = command(meter, supply.ECS44)
    assert armed.done, f"the meter did not carry out SRV 7.3 Arm: {armed}"
    codes = alerts_after_carriage(meter)
    assert SUPPLY_ARMED in codes, f"no 0x8F32 Supply Armed alert; device alerts: {[hex(c) for c in codes]}"
    assert not meter.ui.supply_on(), "the armed supply came on without the consumer"
    assert "ARMED" in meter.ui.display() and "LOCKED" not in meter.ui.display(), \
        f"the meter does not show its supply armed and unlocked: {meter.ui.display()!r}"
    # "consumer enables locally"
    meter.ui.press("enable")
    assert meter.ui.supply_on(), "the armed supply did not come on when the consumer enabled it"


@only("gsme")
@pytest.mark.scenario(96)
@pytest.mark.clause("BAD 7.5.4.6.1 (the GSME can ONLY be enabled locally), 7.5.4.6.2 (ECS42: ESME only)")
def test_gsme_cannot_be_enabled_remotely(meter):
    commissioned(meter)
    assert command(meter, supply.ECS43).done, "precondition: the GSME refused GCS32"
    armed = command(meter, supply.ECS44)
    # "Enable (local) … after Arm": GCS39 leaves the valve closed, armed for the consumer
    assert armed.status == supply.ARMED and not meter.ui.supply_on(), f"GCS39 did not leave the valve armed: {armed}"

    # "GSME cannot be enabled remotely": a Change Supply proposing "on" leaves the valve closed
    attempt = supply.change_supply(meter.han.devices, SUPPLIER, meter.eui, supply.ON)
    meter.evidence.append("supply.txt", f"Change Supply proposing on: {attempt}")
    assert attempt.status != supply.ON, "the GSME answered a remote enable with its valve on"
    assert not meter.ui.supply_on(), "the GSME opened its valve on a remote command"
    # "ECS42 only on ESME": the ESME's enable command sent to the GSME opens nothing either
    ecs42 = supply.send(meter.han.devices, SUPPLIER, meter.eui, "esme", supply.ECS42)
    meter.evidence.append("supply.txt", f"ECS42 sent to the GSME: {ecs42}")
    assert not ecs42.done and not meter.ui.supply_on(), f"the GSME ran ECS42: {ecs42}"
    # Positive control, same state: the consumer enables the armed valve at the meter
    meter.ui.press("enable")
    assert meter.ui.supply_on(), "the armed valve did not open when the consumer enabled it"


@pytest.mark.scenario(97)
@pytest.mark.clause("BAD 7.5.4.6.1 (Arm only from Enabled/Armed or Disabled by command, power loss or tamper), "
                    "7.5.4.6.2 (Enable only from Armed or Disabled by command or tamper)")
def test_arm_and_enable_change_nothing_when_the_supply_was_disabled_for_credit(meter):
    commissioned(meter)
    # Positive control: a supply disabled by command is armed (and on an ESME, enabled) remotely
    assert command(meter, supply.ECS43).done, "precondition: SRV 7.2 Disable refused"
    assert command(meter, supply.ECS44).done, "the meter refused to arm a supply disabled by command"
    if meter.role == "esme":
        assert command(meter, supply.ECS42).done and meter.ui.supply_on(), \
            "the ESME refused SRV 7.1 Enable of an armed supply"
    else:
        meter.ui.press("enable")
    assert meter.ui.supply_on(), "precondition: the supply is not back on"

    # The credit runs out: £1 of credit, then 100 kW for six minutes; "Disablement … 0x8F0F"
    assert accepted(meter.remote(lambda counter: meter.utrn(counter, 1))), "precondition: £1 top-up refused"
    meter.han.device(meter.role).apply_load(100_000)
    meter.han.run_for(360)
    codes = alerts_after_carriage(meter)
    assert DISABLEMENT in codes and not meter.ui.supply_on(), \
        f"precondition: the credit ran out but the supply is on or no 0x8F0F ({[hex(c) for c in codes]})"
    shown = meter.ui.display()

    # "Enable/Arm when precondition not met (cause not in allowed list) → no state change"
    armed = command(meter, supply.ECS44)
    assert not armed.done, f"the meter armed a supply disabled for lack of credit: {armed}"
    if meter.role == "esme":
        enabled = command(meter, supply.ECS42)
        assert not enabled.done, f"the ESME enabled a supply disabled for lack of credit: {enabled}"
    assert not meter.ui.supply_on(), "the supply came on without credit"
    assert meter.ui.display() == shown, f"the supply state changed: {shown!r} -> {meter.ui.display()!r}"


@only("esme")
@pytest.mark.scenario(98)
@pytest.mark.clause("BAD 7.5.4.6.4 (tamper with the supply tamper state set: 0x8F3F, 0x81BE, Locked until Arm)")
def test_tamper_with_the_lock_set_disables_and_locks_until_armed(meter):
    commissioned(meter)
    # SRV 6.25: the supply tamper state says a tamper locks the supply
    assert command(meter, supply.ECS81, lock=True).done, "the ESME refused SRV 6.25 (ECS81)"

    # Action: unauthorised physical access. "disable; Disabled; 0x8F3F … if tamper state = lock ⇒ 0x81BE and Locked"
    meter.han.device(meter.role).tamper()
    codes = alerts_after_carriage(meter)
    assert TAMPER in codes, f"no 0x8F3F tamper alert; device alerts: {[hex(c) for c in codes]}"
    assert TAMPER_LOCKED in codes, f"no 0x81BE supply locked alert; device alerts: {[hex(c) for c in codes]}"
    assert not meter.ui.supply_on() and "LOCKED" in meter.ui.display(), \
        f"the tampered supply is not disabled and locked: {meter.ui.display()!r}"
    # "Locked (re-arm only by Arm …)": the consumer cannot enable it ...
    meter.ui.press("enable")
    assert not meter.ui.supply_on(), "the consumer enabled a supply locked after a tamper"
    # ... until the supplier arms it (positive control: then the consumer can)
    assert command(meter, supply.ECS44).done, "the ESME refused to arm a supply disabled by tamper"
    meter.ui.press("enable")
    assert meter.ui.supply_on(), "the re-armed supply did not come on when the consumer enabled it"


@only("gsme")
@pytest.mark.scenario(99)
@pytest.mark.clause("BAD 7.5.4.6.4 (GSME power loss: close valve, Disabled, 0x8F1D)")
def test_gsme_power_loss_closes_the_valve_until_armed(meter):
    commissioned(meter)
    assert meter.ui.supply_on(), "precondition: the valve is not open"

    # Action: the GSME loses power. "close valve; Disabled; 0x8F1D"
    meter.han.device(meter.role).power_loss()
    codes = alerts_after_carriage(meter)
    assert GAS_POWER_LOSS in codes, f"no 0x8F1D alert; device alerts: {[hex(c) for c in codes]}"
    assert not meter.ui.supply_on(), "the valve is open after the power loss"
    # "Arm … if Disabled … by GSME power loss ⇒ Armed"; then the consumer opens it
    assert command(meter, supply.ECS44).done, "the GSME refused to arm a valve closed by power loss"
    meter.ui.press("enable")
    assert meter.ui.supply_on(), "the re-armed valve did not open when the consumer enabled it"


@only("esme")
@pytest.mark.scenario(100)
@pytest.mark.clause("BAD 7.5.4.6.4 (load limit: 0x8F33, disable then Arm; Enable after the Load Limit Restoration "
                    "Period, 0x8F34)")
def test_load_limit_breach_arms_then_restores_the_supply(meter):
    commissioned(meter)
    assert accepted(meter.remote(lambda counter: meter.utrn(counter, 50))), "precondition: £50 top-up refused"
    # SRV 6.4.1 (ECS28a): 6.9 kW for 30 s breaches the limit; the supply is disabled, and restored after 300 s
    assert command(meter, supply.ECS28A, load_limit=(6900, 30, 300, True)).done, "the ESME refused ECS28a"

    # Action: the consumer draws 8 kW. Positive control: within the Load Limit Period the supply stays on
    meter.han.device(meter.role).apply_load(8000)
    meter.han.run_for(20)
    assert meter.ui.supply_on(), "the supply went off before the load limit period had passed"
    # "Active Power Import > Load Limit Power Threshold for Load Limit Period → 0x8F33; disable; immediately Arm"
    meter.han.run_for(20)
    assert not meter.ui.supply_on() and "ARMED" in meter.ui.display(), \
        f"the supply is not disabled then armed after the breach: {meter.ui.display()!r}"
    meter.han.device(meter.role).apply_load(1000)  # the consumer turns the load down
    # "after Load Limit Restoration Period Enable; 0x8F34"
    meter.han.run_for(300)
    assert meter.ui.supply_on(), "the supply was not enabled again after the load limit restoration period"
    codes = alerts_after_carriage(meter)
    breach = [c for c in codes if c in (LOAD_LIMITED, LOAD_RESTORED)]
    assert breach == [LOAD_LIMITED, LOAD_RESTORED], f"expected 0x8F33 then 0x8F34; device alerts: {[hex(c) for c in codes]}"
