"""Critical commands on a HAN device (BAD 7.8.4.4.2, 7.2.3; GBCS 4.3, 5): a command a Known Remote Party signs, the
ACB MACs and the device runs only after checking both with its own trust anchor cells, with an originator counter
strictly greater than the last it accepted; its response is signed with the device's own DS key.

Topology: the CH (CHF) and the device under test (ESME, GSME or PPMID) on the HAN; the DCC core plays the supplier
and the ACB. The command is CS04AC (SRV 8.8.1, critical): remove a partner from the device's own Device Log, put
there beforehand with a CS03 join. Its effect is visible through the DCC alone: a second unjoin of the same partner
answers status 1 (not in the log) instead of 0. Every negative is checked beside its positive control in the same
state: the refused command gets no response, and the correct command sent right after it still finds the partner
(status 0), so the refused one did not execute.
"""
from __future__ import annotations

import pytest

from emulators.provision import ACB, SUPPLIER
from harness.dcc.devices import CS03A1, CS03A2, CS03C, CS04AC, status_code, unjoin_payload
from harness.gbcs.apdu import CRA_RESPONSE, Message
from harness.smki.roles import DEFAULT_PARTIES
from device_steps import install, per_device

SUPPLIER2 = bytes.fromhex(DEFAULT_PARTIES["supplier2"][1])  # a supplier in none of the device's trust anchor cells
OK, NOT_IN_LOG = 0, 1
# The partner each device type joins in its own log (any EUI-64 of that type: it need not be on the bench), and the
# join use case that adds it (BAD 7.2.1.6.12).
PARTNER_PPMID, PARTNER_ESME = bytes.fromhex("00DB123456789099"), bytes.fromhex("00DB123456789098")
PARTNER = {"esme": (PARTNER_PPMID, "ppmid", CS03A1), "gsme": (PARTNER_PPMID, "ppmid", CS03C),
           "ppmid": (PARTNER_ESME, "esme", CS03A2)}
DEVICES = ["esme", "gsme", "ppmid"]


class Dut:
    """The device under test as the DCC sees it."""

    def __init__(self, han, role: str):
        self.han = han
        self.role = role
        self.eui = han.eui(role)
        self.partner, self.partner_type, self.join_code = PARTNER[role]
        # who signs its commands: the supplier, or the ACB for a PPMID (no supplier cell, BAD Table 11)
        self.signer = ACB if role == "ppmid" else SUPPLIER

    def prepare(self) -> None:
        """Topology: the CH commissioned, the device joined to its HAN, its partner in its Device Log."""
        self.han.commission_ch()
        install(self.han, self.role)
        self.join()

    def join(self) -> None:
        answer = self.han.devices.join(SUPPLIER, self.eui, self.join_code, self.partner, self.partner_type,
                                       critical=False)
        assert answer.ok, f"precondition: the join (CS03) was not accepted: {answer.detail}"

    def unjoin(self):
        """The correct critical CS04AC: (status, the verified response)."""
        answer = self.han.devices.unjoin(SUPPLIER, self.eui, self.partner)
        assert answer.response is not None, \
            f"no verified response to a correct CS04AC: {answer.detail}; refused by the DCC: {self.refusals()}"
        return status_code(answer.response), answer.response

    def send_raw(self, data: bytes, what: str) -> None:
        """Put a command's bytes on the WAN as they are (a tampered or replayed copy) and let the device answer."""
        self.han.devices.transmit(data, what)
        self.han.run_for(self.han.devices.response_time)

    def answers_to(self, data: bytes) -> list:
        """Responses from the device to the command `data` (its counter, back to its originator), whatever the DCC
        core made of them."""
        command = Message.decode(data).grouping
        out = []
        for entry in self.han.dcc.transcript:
            if entry.direction != "from-device":
                continue
            header = Message.decode(entry.data).grouping
            if (header.cra, header.originator, header.recipient, header.counter) == \
                    (CRA_RESPONSE, self.eui, command.originator, command.counter):
                out.append(entry)
        return out

    def refusals(self) -> list[str]:
        return [str(r) for r in self.han.devices.rejected]


def flip_last(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


@pytest.fixture(params=per_device(*DEVICES))
def dut(request, han):
    return Dut(han, request.param)


@pytest.mark.scenario(59)
@pytest.mark.clause("BAD 7.8.4.4.2; GBCS 1.5 (critical responses are signed)")
def test_critical_command_executes_and_answers_signed(dut):
    dut.prepare()
    # Action: SRV 8.8.1 → pre-command → the supplier's KRP signature → the ACB's MAC → CHF → device
    status, response = dut.unjoin()

    # "device executes": the partner leaves the log (a second unjoin finds nothing to remove)
    assert status == OK, f"the device answered status {status} to a correct CS04AC"
    again, _ = dut.unjoin()
    assert again == NOT_IN_LOG, f"the partner is still in the log after a successful unjoin (status {again})"
    # the response to a critical command is signed by the device (verified by the DCC core with its DS certificate)
    assert response.header.signature and response.message.mac is None, "the response is not signed"


@pytest.mark.scenario(61)
@pytest.mark.clause("GBCS 4.5 (KRP signature on critical commands); BAD 7.8.4.4.2")
@pytest.mark.parametrize("signature", ["invalid", "absent"])
def test_critical_command_without_a_valid_signature_is_refused(dut, signature):
    dut.prepare()
    core = dut.han.core
    precommand = core.precommand(dut.signer, dut.eui, CS04AC, unjoin_payload(dut.partner))
    if signature == "invalid":
        signed = core.sign(precommand)
        bad = core.send(signed.with_signature(flip_last(signed.signature)), critical=True)
    else:
        bad = core.send(precommand.with_signature(b""), critical=False)  # MAC'd, null signature
    dut.send_raw(bad.data, f"CS04AC with {signature} signature")

    # "Critical command reaching a device with valid MAC but invalid/absent user signature → device rejects"
    assert not dut.answers_to(bad.data), f"the device answered a CS04AC with an {signature} signature"
    status, _ = dut.unjoin()
    assert status == OK, f"the refused CS04AC took effect (the partner was gone: status {status})"


@pytest.mark.scenario(62)
@pytest.mark.clause("AB 13.2; GBCS 4.3 (ACB MAC)")
def test_command_with_a_corrupted_mac_is_refused(dut):
    dut.prepare()
    command = dut.han.core.command(dut.signer, dut.eui, CS04AC, unjoin_payload(dut.partner), critical=True)
    dut.send_raw(flip_last(command.data), "CS04AC with a corrupted MAC")

    # "Command with corrupted MAC → device rejects"
    assert not dut.answers_to(command.data), "the device answered a command whose MAC does not verify"
    status, _ = dut.unjoin()
    assert status == OK, f"the refused CS04AC took effect (status {status})"


@pytest.mark.scenario(63)
@pytest.mark.clause("BAD 7.7.2.5.4, 7.7.1.5.4 (trust anchor cells)")
def test_command_from_a_signer_outside_the_trust_anchor_cells_is_refused(dut):
    dut.prepare()
    command = dut.han.core.command(SUPPLIER2, dut.eui, CS04AC, unjoin_payload(dut.partner), critical=True)
    dut.send_raw(command.data, "CS04AC signed by a supplier not in the device's cells")

    # "Command signed with … a cert not in the device's supplier anchor → rejected"
    assert not dut.answers_to(command.data), "the device answered a command signed by a party it does not trust"
    status, _ = dut.unjoin()
    assert status == OK, f"the refused CS04AC took effect (status {status})"


@pytest.mark.scenario(64)
@pytest.mark.clause("GBCS 4.3.1.5 (originator counter strictly greater)")
def test_replayed_critical_command_is_refused(dut):
    dut.prepare()
    first = dut.han.core.command(dut.signer, dut.eui, CS04AC, unjoin_payload(dut.partner), critical=True)
    dut.send_raw(first.data, "CS04AC")
    assert len(dut.answers_to(first.data)) == 1, "precondition: the device did not answer the CS04AC once"
    dut.join()  # the partner is back in the log: a replay that executed would remove it again

    dut.send_raw(first.data, "the same CS04AC, replayed")

    # "Replay of a previously executed critical command → device rejects (GBCS counter)"
    assert len(dut.answers_to(first.data)) == 1, "the device answered a replayed command"
    status, _ = dut.unjoin()
    assert status == OK, f"the replayed CS04AC took effect (status {status})"
