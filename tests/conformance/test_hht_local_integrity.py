"""Install and Leave: a command an HHT delivers locally is run only when the DCC made it (BAD 7.2.2.6.2; GBCS 3.1).
The DCC prepares the command and its ACB MAC; the HHT only carries it. A CCS01 whose MAC does not verify, or one the
HHT made itself (it holds no ACB key, so it can only MAC with a key of its own), is refused by the CH.

Topology: the CH (its CHF, the device under test) and the HHT, connected over inter-PAN within the CH's window; the
rig's DCC core prepares the CCS01 commands (SRV 8.11 flagged for local delivery). Checks read the air (the CH's
answers over inter-PAN), the responses through the DCC core and the CS14 alerts the CH raises over its WAN.
"""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from harness.gbcs.apdu import Message
from harness.gbcs.security import apply_mac
from han_steps import cs14_listing
from hht_steps import answers_on_air, connect, deliver, local_ccs01


def forged(han, genuine: bytes, how: str) -> bytes:
    """The DCC's CCS01 `genuine` with its MAC flipped, or the same command as the HHT would make it: MAC'd with a key
    of the HHT's own instead of the ACB's."""
    if how == "invalid_mac":
        return genuine[:-1] + bytes([genuine[-1] ^ 0x01])
    chf_ka = han.provisioning.keystore.public_key(han.chf_eui, "ka")
    return apply_mac(Message.decode(genuine).grouping, ec.generate_private_key(ec.SECP256R1()), chf_ka).encode()


@pytest.mark.scenario(39)
@pytest.mark.clause("BAD 7.2.2.6.2 (the HHT carries DCC-prepared commands); GBCS 3.1 (the ACB MAC)")
@pytest.mark.roles("chf", "hht", "esme")
@pytest.mark.dut("chf")
@pytest.mark.parametrize("how", ["invalid_mac", "made_on_the_hht"])
def test_locally_delivered_command_without_the_dccs_mac_is_refused(han, evidence, how):
    connect(han, evidence, han.power_on_ch())
    han.prenotify("hht")
    han.prenotify("esme")
    # Actions: the HHT adds itself; then it delivers a forged CCS01 for the ESME, then the DCC's own for it
    own = deliver(han, local_ccs01(han, "hht"))
    forgery = deliver(han, forged(han, local_ccs01(han, "esme"), how))
    forged_done = han.clock.now()
    genuine = deliver(han, local_ccs01(han, "esme"))
    han.run_for(1)

    (_, own_answer), (_, forged_answer), (_, genuine_answer) = answers_on_air(han.air(), han.eui_int("chf"),
                                                                              han.eui_int("hht"))
    # Positive control: the HHT's own CCS01, as the DCC made it, is run and answered
    assert own is not None and own_answer is not None, "the CH did not answer the HHT's own CCS01"
    assert han.dcc.return_local_response(han.eui("hht"), own).ok, "the HHT's CCS01 response reports a failure"
    # "Locally delivered CCS01 whose DCC MAC is invalid, or that was fabricated on the HHT -> rejected": no answer
    assert forgery is None and forged_answer is None, \
        f"the CH answered a locally delivered CCS01 {how.replace('_', ' ')}"
    # ... and did not act on it: no CS14 lists the ESME before the DCC's own CCS01 for it
    assert not [t for t in cs14_listing(han, "esme") if t <= forged_done], \
        "the CH added the ESME to its Device Log on a forged CCS01 (a CS14 lists it)"
    # Positive control, same state: the DCC's CCS01 for the ESME is run
    assert genuine is not None and genuine_answer is not None, "the CH did not answer the DCC's CCS01 for the ESME"
    assert han.dcc.return_local_response(han.eui("esme"), genuine).ok, "the ESME's CCS01 response reports a failure"
    assert cs14_listing(han, "esme"), "no CS14 lists the ESME after its CCS01"
