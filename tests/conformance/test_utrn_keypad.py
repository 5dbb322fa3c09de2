"""Prepayment: a UTRN entered on the meter's keypad (BAD 7.3.2.5.5).

Topology: the meter (ESME or GSME) is the device under test; the rig plays the supplier, making UTRNs with the
bench SMKI's supplier prepayment key, and the consumer, typing them on the meter's keypad through its UI adapter.
Checks read the meter's display: the answer to each entry, and the credit balance its idle screen shows ('*'
clears an entry). Each refusal stands beside its positive control: a valid UTRN accepted by the same meter.
(The CS01a/b response surfaced as a DCC alert and the 0x810E alert of scenario 73 need the meter's HAN path to the
DCC, which this suite does not exercise yet.)
"""
from __future__ import annotations

import re

import pytest

from emulators.provision import CREDIT_LIMIT, MAX_TOPUP, SUPPLIER
from harness.gbcs.utrn import ValueClass, generate, utrn_secret
from harness.smki.roles import DEFAULT_PARTIES

SUPPLIER2 = bytes.fromhex(DEFAULT_PARTIES["supplier2"][1])
BALANCE = re.compile(r"CREDIT (\d+)\.(\d\d)\b")


class Meter:
    """The meter under test as the consumer (its keypad and display) and the supplier (its UTRNs) see it."""

    def __init__(self, ui, provisioning, role: str, evidence):
        self.ui = ui
        self.keys = provisioning.keystore
        self.eui = bytes.fromhex(provisioning.euis[role])
        self.evidence = evidence

    def utrn(self, n: int, value: int, value_class: ValueClass = ValueClass.POUNDS, key_of: bytes = SUPPLIER) -> str:
        """The supplier's UTRN number `n` (counter n << 32); `key_of` names whose prepayment key makes its MAC."""
        z = utrn_secret(self.keys, key_of, self.eui)
        return generate(z, SUPPLIER, self.eui, n << 32, value, value_class).text

    def enter(self, text: str) -> str:
        """Type `text` then '#' on the keypad; what the display shows afterwards."""
        self.ui.press(text + "#")
        display = self.ui.display()
        self.evidence.append("keypad.txt", f"{text}# -> {display}")
        return display

    def balance(self) -> int:
        """The credit balance (pennies) the idle screen shows."""
        self.ui.press("*")
        display = self.ui.display()
        found = BALANCE.search(display)
        assert found, f"the meter's idle screen shows no credit balance: {display!r}"
        return int(found[1]) * 100 + int(found[2])


@pytest.fixture(params=[pytest.param(role, marks=[pytest.mark.roles(role), pytest.mark.dut(role), pytest.mark.ui(role)])
                        for role in ("esme", "gsme")])
def meter(request, ui, provisioning, evidence):
    return Meter(ui(request.param), provisioning, request.param, evidence)


@pytest.mark.scenario(73)
@pytest.mark.clause("BAD 7.3.2.5.5")
def test_keypad_utrn_adds_credit(meter):
    display = meter.enter(meter.utrn(1, 10))

    # "success: balance up" by the UTRN's value (10 pounds)
    assert meter.balance() == 10_00, f"balance {meter.balance()} pennies after a £10 UTRN (display {display!r})"


@pytest.mark.scenario(69)
@pytest.mark.clause("BAD 7.3.2.5.5; GBCS 14 (UTRN counter cache)")
def test_same_utrn_twice_is_rejected(meter):
    token = meter.utrn(1, 5)
    meter.enter(token)
    credited = meter.balance()
    display = meter.enter(token)

    # Positive control: the first entry credits the meter
    assert credited == 5_00, f"a valid £5 UTRN gave a balance of {credited} pennies"
    # "Same UTRN re-applied … → rejected by Originator Counter"
    assert "REJECTED" in display, f"the meter did not show the repeated UTRN rejected: {display!r}"
    assert meter.balance() == credited, "the meter credited the same UTRN twice"


@pytest.mark.scenario(70)
@pytest.mark.clause("BAD 7.3.2.5.5; GBCS 14.8 (check digit)")
def test_wrong_check_digit_is_rejected(meter):
    token = meter.utrn(1, 5)
    wrong = token[:19] + str((int(token[19]) + 1) % 10)
    display = meter.enter(wrong)

    # "Keypad UTRN with wrong check digit → rejected"
    assert "REJECTED" in display and meter.balance() == 0, f"a UTRN with a wrong check digit gave {display!r}"
    # Positive control: the same UTRN with its right check digit is accepted
    meter.enter(token)
    assert meter.balance() == 5_00, "the meter refused the same UTRN with its right check digit"


@pytest.mark.scenario(71)
@pytest.mark.clause("BAD 7.3.2.5.5; GBCS 14 (PTUT MAC)")
def test_utrn_with_another_suppliers_key_is_rejected(meter):
    display = meter.enter(meter.utrn(1, 5, key_of=SUPPLIER2))

    # "UTRN with invalid PTUT Supplier MAC (other supplier's key) → rejected"
    assert "REJECTED" in display and meter.balance() == 0, f"a UTRN with a foreign MAC gave {display!r}"
    # Positive control: the same counter and value under the meter's supplier's key is accepted
    meter.enter(meter.utrn(1, 5))
    assert meter.balance() == 5_00, "the meter refused a UTRN MAC'd with its own supplier's key"


@pytest.mark.scenario(72)
@pytest.mark.clause("BAD 7.3.2.5.5 (MaximumCreditThreshold, MaximumMeterBalance)")
def test_utrn_beyond_the_credit_limits_is_rejected(meter):
    too_big = meter.enter(meter.utrn(1, MAX_TOPUP // 100 + 1))
    # "UTRN above MaximumCreditThreshold … → rejected"
    assert "REJECTED" in too_big and meter.balance() == 0, f"a top-up above the maximum per top-up gave {too_big!r}"

    for n in range(2, 2 + CREDIT_LIMIT // MAX_TOPUP):       # fill the meter up to its maximum balance
        meter.enter(meter.utrn(n, MAX_TOPUP // 100))
    before = meter.balance()
    # Positive control: top-ups of the maximum size were accepted up to the maximum balance
    assert before == (CREDIT_LIMIT // MAX_TOPUP) * MAX_TOPUP, f"valid top-ups gave a balance of {before} pennies"
    overflow = meter.enter(meter.utrn(9, max(1, (CREDIT_LIMIT - before) // 100 + 1)))
    # "… or exceeding MaximumMeterBalance → rejected"
    assert "REJECTED" in overflow and meter.balance() == before, \
        f"a top-up beyond the maximum meter balance gave {overflow!r}"
