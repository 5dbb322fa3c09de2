"""What the prepayment and supply suites share: the commissioned meter under test as the supplier (through the DCC
core) and the consumer (its UI adapter) see it, and the device alerts the DCC received from it."""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import prepayment as pp
from harness.gbcs.utrn import ValueClass, generate, utrn_secret
from device_steps import commission, install

CARRIAGE = 120.0  # seconds for what the meter sends unasked to reach the DCC (a GSME sends when it wakes)


class MeterUi:
    """The meter's human interface (keypad with its buttons, display, supply state) as the consumer uses it, through
    the role's UI adapter (`harness.ui`): the board's keypad on an emulator, the engineer at the bench on a real
    meter. The meter's buttons are its keypad keys "A" (emergency credit) and "B" (enable supply)."""

    BUTTONS = {"emergency": "A", "enable": "B"}

    def __init__(self, ui, evidence):
        self.ui = ui
        self.evidence = evidence

    def enter(self, text: str) -> str:
        """Type `text` then '#' on the keypad; what the display shows afterwards."""
        self.ui.press(text + "#")
        display = self.ui.display()
        self.evidence.append("prepayment.txt", f"keypad {text}# -> {display}")
        return display

    def keys(self, keys: str) -> str:
        """Type `keys` on the keypad as they are; what the display shows afterwards."""
        self.ui.press(keys)
        display = self.ui.display()
        self.evidence.append("prepayment.txt", f"keypad {keys} -> {display}")
        return display

    def display(self) -> str:
        """The idle screen (with the balance): '*' clears any entry or message first."""
        self.ui.press("*")
        return self.ui.display()

    def press(self, button: str) -> str:
        """Press the meter's `button` ("enable" or "emergency"); what the display shows afterwards."""
        self.ui.press(self.BUTTONS[button])
        display = self.ui.display()
        self.evidence.append("prepayment.txt", f"button {button} -> {display}")
        return display

    def supply_on(self) -> bool:
        """Whether the meter's supply is on (relay closed, valve open)."""
        return self.ui.supply()


class Meter:
    """The commissioned meter under test as the supplier (through the DCC) and the consumer see it."""

    def __init__(self, han, ui, role: str, evidence):
        self.han = han
        self.role = role
        self.eui = han.eui(role)
        self.ui = MeterUi(ui, evidence)
        self.evidence = evidence
        self.z = utrn_secret(han.provisioning.keystore, SUPPLIER, self.eui)

    def utrn(self, counter: int, pounds: int) -> str:
        return generate(self.z, SUPPLIER, self.eui, counter, pounds, ValueClass.POUNDS).text

    def remote(self, make_utrn) -> pp.TopUp:
        """SRV 2.2 with the UTRN `make_utrn(counter)` for the command's counter."""
        sent = pp.top_up(self.han.devices, SUPPLIER, self.eui, self.role, make_utrn)
        self.evidence.append("prepayment.txt", f"SRV 2.2 {sent.utrn} counter {sent.command.header.counter:016X}: "
                                               f"{'response' if sent.response else 'no response'}")
        return sent


@pytest.fixture(params=[pytest.param(d, marks=[pytest.mark.roles("chf", d), pytest.mark.dut(d), pytest.mark.ui(d)])
                        for d in ("esme", "gsme")])
def meter(request, han, ui, evidence):
    return Meter(han, ui(request.param), request.param, evidence)


def commissioned(meter: Meter) -> Meter:
    """Topology: the CH commissioned, the meter installed on its HAN and commissioned (SRV 8.1.1)."""
    meter.han.commission_ch()
    install(meter.han, meter.role)
    answer = commission(meter.han, meter.role)
    assert answer.ok, f"the {meter.role} was not commissioned: {answer.detail}"
    return meter


def accepted(sent: pp.TopUp) -> bool:
    assert sent.response is not None, f"no verified CS01 response; refused by the DCC core: {sent}"
    return pp.top_up_accepted(sent.command.header.message_code, sent.response.header.payload)


def device_alerts(meter: Meter) -> list[int]:
    """The device alert codes the DCC received (verified) from the meter, in order."""
    alerts = [pp.device_alert(a) for a in meter.han.devices.alerts if a.header.originator == meter.eui]
    return [a.code for a in alerts if a is not None]

