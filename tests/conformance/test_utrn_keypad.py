"""Prepayment: a UTRN entered on the meter's keypad (BAD 7.3.2.5.5).

Topology: the meter (ESME or GSME) is the device under test; the rig plays the supplier, making UTRNs with the
bench SMKI's supplier prepayment key, and the consumer, typing them on the meter's keypad. Checks read the meter's
display and its credit balance. (The CS01a/b response surfaced as a DCC alert and the 0x810E alert of scenario 73
need the meter's HAN path to the DCC, which this suite does not exercise yet.)
"""
from __future__ import annotations

import pytest

from emulators.provision import CREDIT_LIMIT, MAX_TOPUP, SUPPLIER
from harness.gbcs.utrn import ValueClass, generate, utrn_secret
from harness.pytest_plugin import NotSupportedYet
from harness.smki.roles import DEFAULT_PARTIES

SUPPLIER2 = bytes.fromhex(DEFAULT_PARTIES["supplier2"][1])


class Meter:
    """The meter under test as the consumer and the supplier see it."""

    def __init__(self, link, provisioning, role: str, evidence):
        self.link = link
        self.keys = provisioning.keystore
        self.eui = bytes.fromhex(provisioning.euis[role])
        self.evidence = evidence

    def utrn(self, n: int, value: int, value_class: ValueClass = ValueClass.POUNDS, key_of: bytes = SUPPLIER) -> str:
        """The supplier's UTRN number `n` (counter n << 32); `key_of` names whose prepayment key makes its MAC."""
        z = utrn_secret(self.keys, key_of, self.eui)
        return generate(z, SUPPLIER, self.eui, n << 32, value, value_class).text

    def enter(self, text: str) -> str:
        """Type `text` then '#' on the keypad; what the display shows afterwards."""
        display = self.link.call("keypad.press", keys=text + "#")["display"]
        self.evidence.append("keypad.txt", f"{text}# -> {display}")
        return display

    def balance(self) -> int:
        return self.link.call("credit.get")["balance"]


@pytest.fixture(params=[pytest.param(m, marks=[pytest.mark.roles(m), pytest.mark.dut(m)]) for m in ("esme", "gsme")])
def meter(request, bench_model, provisioning, evidence):
    role = request.param
    if bench_model.roles[role].kind == "dut":
        raise NotSupportedYet(f"typing on a real {role}'s keypad needs a UI adapter the rig does not have yet")
    link = request.getfixturevalue("bench").link(role)
    link.call("reset")
    return Meter(link, provisioning, role, evidence)


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

    # "Same UTRN re-applied … → rejected by Originator Counter"
    assert meter.balance() == credited, "the meter credited the same UTRN twice"
    assert "REJECTED" in display


@pytest.mark.scenario(70)
@pytest.mark.clause("BAD 7.3.2.5.5; GBCS 14.8 (check digit)")
def test_wrong_check_digit_is_rejected(meter):
    token = meter.utrn(1, 5)
    wrong = token[:19] + str((int(token[19]) + 1) % 10)
    display = meter.enter(wrong)

    # "Keypad UTRN with wrong check digit → rejected"
    assert meter.balance() == 0 and "REJECTED" in display, f"a UTRN with a wrong check digit gave {display!r}"


@pytest.mark.scenario(71)
@pytest.mark.clause("BAD 7.3.2.5.5; GBCS 14 (PTUT MAC)")
def test_utrn_with_another_suppliers_key_is_rejected(meter):
    display = meter.enter(meter.utrn(1, 5, key_of=SUPPLIER2))

    # "UTRN with invalid PTUT Supplier MAC (other supplier's key) → rejected"
    assert meter.balance() == 0 and "REJECTED" in display, f"a UTRN with a foreign MAC gave {display!r}"


@pytest.mark.scenario(72)
@pytest.mark.clause("BAD 7.3.2.5.5 (MaximumCreditThreshold, MaximumMeterBalance)")
def test_utrn_beyond_the_credit_limits_is_rejected(meter):
    too_big = meter.enter(meter.utrn(1, MAX_TOPUP // 100 + 1))
    # "UTRN above MaximumCreditThreshold … → rejected"
    assert "REJECTED" in too_big and meter.balance() == 0, f"a top-up above the maximum per top-up gave {too_big!r}"

    for n in range(2, 2 + CREDIT_LIMIT // MAX_TOPUP):       # fill the meter up to its maximum balance
        meter.enter(meter.utrn(n, MAX_TOPUP // 100))
    before = meter.balance()
    overflow = meter.enter(meter.utrn(9, max(1, (CREDIT_LIMIT - before) // 100 + 1)))
    # "… or exceeding MaximumMeterBalance → rejected"
    assert "REJECTED" in overflow and meter.balance() == before, \
        f"a top-up beyond the maximum meter balance gave {overflow!r}"
