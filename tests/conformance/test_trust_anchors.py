"""A meter's supplier trust anchor cells (BAD 7.7 Table 11, cells 3 and 4): what they take and what their content
changes. A cell takes only a certificate whose keyUsage is its own (AC 3.2(b)); a meter whose supplier cells hold
only the DCC's certificates does not report itself commissioned (0x8F69) when it joins (BAD 7.2.1.6.7).

Topology: the CH (CHF) and the ESME on the HAN; the ESME is the device under test. Its cells are loaded the way its
procuring party loads them before delivery (AC 3.1), or the DCC in recovery: through the `cells` adapter (the
emulator's loading tool; a real meter's cells are loaded by its supplier's tool, so the test skips for one). The
checks read the DCC core only: which commands the meter answers, and the alerts it raises.
"""
from __future__ import annotations

import pytest

from emulators.provision import ACB, SUPPLIER, raw_public
from harness.dcc.devices import CS03A1, CS04AC, alert_code, status_code, unjoin_payload
from harness.smki.roles import DEFAULT_PARTIES
from device_steps import JOIN_PERIOD, JOIN_TIMEOUT, install

SUPPLIER2 = bytes.fromhex(DEFAULT_PARTIES["supplier2"][1])  # another supplier, in none of the ESME's cells at first
PARTNER = bytes.fromhex("00DB123456789099")                # a PPMID the ESME lists in its Device Log
OK = 0
ALERTS_SETTLE = 60.0  # seconds for a meter's join alerts to reach the DCC


class Cells:
    """A device's trust anchor cells as its procuring party's loading tool fills them (a bench action)."""

    def __init__(self, device, keystore):
        self.device = device
        self.keystore = keystore

    def load(self, cell: str, party: bytes, key_usage: str, key: str) -> bool:
        """Load a certificate for `party` (its `key` "ds" or "ka" public key, with `key_usage`) into `cell`
        ("supplier_ds" or "supplier_ka"); False when the device refuses it for its keyUsage."""
        public = raw_public(self.keystore.public_key(party, key))
        return self.device.load_trust_anchor(cell, party.hex().upper(), key_usage, public)


@pytest.fixture
def cells(bench_model, han):
    """``cells(role)``: the role's loading tool; SKIP for a real device under test (its supplier's tool, not ours)."""
    def adapter(role: str) -> Cells:
        if bench_model.roles[role].kind == "dut":
            pytest.skip(f"the {role}'s trust anchor cells are loaded by its supplier's tool; this bench has none")
        return Cells(han.device(role), han.provisioning.keystore)

    return adapter


def unjoin_signed_by(han, signer: bytes):
    """A critical CS04AC for PARTNER that `signer` signs (the ACB MACs it): the ESME's verified response, or None."""
    command = han.core.command(signer, han.eui("esme"), CS04AC, unjoin_payload(PARTNER), critical=True)
    han.devices.transmit(command, "CS04AC")
    return han.devices.await_response(command)


@pytest.mark.scenario(58)
@pytest.mark.clause("AC 3.2(b) (a trust anchor cell takes only a certificate of its own keyUsage); BAD 7.7 Table 11")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("esme")
def test_certificate_of_another_key_usage_is_refused_by_the_cell(han, cells):
    tool = cells("esme")
    han.commission_ch()
    install(han, "esme")
    joined = han.devices.join(SUPPLIER, han.eui("esme"), CS03A1, PARTNER, "ppmid", critical=False)
    assert joined.ok, f"precondition: the ESME did not list its partner: {joined.detail}"

    # Action: a certificate for the second supplier's signing key, but with keyUsage keyAgreement, is loaded into
    # the Supplier digitalSignature cell
    tool.load("supplier_ds", SUPPLIER2, "keyAgreement", "ds")

    # "Provisioning a cert into a trust anchor cell with a different keyUsage → refused": the cell still holds its
    # supplier, so a critical command the second supplier signs is not run (no response)
    assert unjoin_signed_by(han, SUPPLIER2) is None, \
        "the ESME ran a command signed with a key it took from a certificate of the wrong keyUsage"

    # Positive control: the same key in a certificate with keyUsage digitalSignature is taken, and the second
    # supplier's command then runs (status 0: the refused one had not removed the partner)
    tool.load("supplier_ds", SUPPLIER2, "digitalSignature", "ds")
    response = unjoin_signed_by(han, SUPPLIER2)
    assert response is not None, f"the ESME did not run a command signed by the supplier now in its cell; " \
                                 f"refused by the DCC: {[str(r) for r in han.devices.rejected]}"
    assert status_code(response) == OK, f"the ESME answered status {status_code(response)}, not 0"


def join_alert_codes(han, first: int) -> list[int | None]:
    """The alert codes of the alerts from the ESME the DCC verified, from its `first` alert on, whoever they were
    for."""
    return [alert_code(a) for a in han.devices.alerts[first:] if a.header.originator == han.eui("esme")]


@pytest.mark.scenario(20)
@pytest.mark.clause("BAD 7.2.1.6.7 (0x8F69 only from a meter whose supplier cell holds a supplier's certificate)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("esme")
def test_meter_holding_only_dcc_certificates_does_not_report_commissioned(han, cells):
    tool = cells("esme")
    han.commission_ch()
    # Positive control: holding its supplier's certificates, the ESME reports its join with 0x8F69
    start = len(han.devices.alerts)
    install(han, "esme")
    han.run_for(ALERTS_SETTLE)
    assert 0x8F69 in join_alert_codes(han, start), \
        f"precondition: no 0x8F69 from the ESME holding its supplier's certificates; " \
        f"refused by the DCC: {[str(r) for r in han.devices.rejected]}"

    # Topology: the DCC's (ACB) certificates in both supplier cells (AC 3.1 allows them there)
    for cell, usage, key in (("supplier_ds", "digitalSignature", "ds"), ("supplier_ka", "keyAgreement", "ka")):
        assert tool.load(cell, ACB, usage, key), f"the ESME refused the ACB's certificate in its {cell} cell"
    # Action: the ESME joins again: SRV 8.11 remove (the CHF makes it leave) and add, then the join
    assert han.dcc.remove_device(han.chf_eui, han.eui("esme")).ok, "precondition: CCS02 failed"
    added = han.dcc.add_device(han.chf_eui, han.eui("esme"), han.provisioning.install_code("esme"), JOIN_PERIOD)
    assert added.ok, f"precondition: CCS01 failed: {added.detail}"
    rejoined, since = len(han.devices.alerts), han.clock.now()
    han.device("esme").join(han.eui_int("chf"), timeout=JOIN_TIMEOUT)  # judged by the DCC, as for a real meter
    han.run_for(ALERTS_SETTLE)
    assert [t for t, log in han.dcc.cs14 if t >= since and han.eui("esme") in log], \
        "precondition: the CHF reported no rejoin of the ESME (no CS14 listing it after the join)"

    # "[N] meter holding only DCC certs does not emit 0x8F69" (and nothing from it went unverified, which could
    # hide one)
    codes = join_alert_codes(han, rejoined)
    assert 0x8F69 not in codes, f"the ESME holding only DCC certificates reported 0x8F69 on joining (alert codes " \
                                f"{[c if c is None else hex(c) for c in codes]})"
    unverified = [str(r) for r in han.devices.rejected]
    assert not unverified, f"the DCC could not verify messages from the ESME: {unverified}"
