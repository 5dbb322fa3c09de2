"""The CHF Device Log as the gate of the HAN: its capacity (BAD 7.6.2.1: once the log is full, a further CCS01 fails
cleanly: the CHF answers with a failure result, raises no CS14, and no device already in the log is lost on the
way), and relaying (GBCS 10.2.2: the CHF carries a remote party's message over the HAN only to a device in its log).

Topology: the CHF is the device under test; the rig's DCC core sends SRV 8.11 (CCS01 / CCS02) and commands for
the devices. Checks read the DCC core (the CCS01 responses, the CS14 alerts, each carrying the whole log, and the
devices' responses) and, for relaying, the air.
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import mpxn
from device_steps import install

MOST = 64  # devices the test adds at most while looking for the log's capacity
JOIN_PERIOD = 90


def device_eui(n: int) -> bytes:
    return bytes.fromhex(f"00DB1234567A{n:04X}")


@pytest.mark.scenario(22)
@pytest.mark.clause("BAD 7.6.2.1; GBCS CCS01")
@pytest.mark.roles("chf")
@pytest.mark.dut("chf")
def test_ccs01_beyond_the_device_log_capacity_fails_cleanly(han):
    added: list[bytes] = []
    refused = None
    for n in range(MOST):
        eui = device_eui(n)
        han.smi.prenotify(eui, "ihd", han.clock.now())
        alerts_before = len(han.dcc.cs14)
        response = han.dcc.add_device(han.chf_eui, eui, bytes(range(16)), JOIN_PERIOD)
        han.run_for(1)
        if not response.ok:
            refused = (eui, response, alerts_before)
            break
        added.append(eui)
        # while there is room, the log grows and never silently loses an entry (the CS14 carries the whole log)
        assert han.dcc.cs14, f"no CS14 after CCS01 number {n + 1}"
        listed = han.dcc.cs14[-1][1]
        lost = [e.hex().upper() for e in added if e not in listed]
        assert not lost, f"after CCS01 number {n + 1} the CHF Device Log no longer lists {lost}"
    if refused is None:
        pytest.skip(f"the CHF took {MOST} devices without reaching its Device Log capacity")
    eui, response, alerts_before = refused

    # "CHF Device Log at capacity → further CCS01 fails cleanly"
    assert response.command is not None and "results" in response.detail, \
        f"the CHF did not answer the CCS01 beyond its capacity with a failure result: {response.detail}"
    assert len(han.dcc.cs14) == alerts_before, "the CHF raised a CS14 for a CCS01 it refused"
    assert added, "the CHF refused the very first CCS01"


def read_mpan(han):
    """SRV 6.2.7 (ECS40, non-critical) to the ESME: its verified response, or None when none came."""
    _, response = han.devices.request(SUPPLIER, han.eui("esme"), mpxn.ECS40, mpxn.read_payload, critical=False,
                                      what="ECS40")
    return response


@pytest.mark.scenario(21)
@pytest.mark.clause("BAD 7.6.2.5.4; GBCS 10.2.2 (the CHF relays only to devices in its Device Log)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_nothing_is_relayed_to_a_device_removed_from_the_log(han):
    han.commission_ch()
    install(han, "esme")
    # Positive control: while the ESME is in the CHF Device Log, a command for it is relayed and answered
    assert read_mpan(han) is not None, f"the CHF did not relay a command to a device in its Device Log; " \
                                       f"refused by the DCC: {[str(r) for r in han.devices.rejected]}"

    # Actions: SRV 8.11 (remove): CCS02 takes the ESME out of the log; then a command for the ESME reaches the CHF
    asked = han.clock.now()
    removal = han.dcc.remove_device(han.chf_eui, han.eui("esme"))
    assert removal.ok, f"the CHF refused CCS02: {removal.detail}"
    han.run_for(1)
    removed = han.clock.now()
    answer = read_mpan(han)

    # "A message for a device that is not in the CHF Device Log is refused": nothing for it goes over the HAN …
    # (an APS retransmission, same APS counter, of a frame first sent before CCS02 was issued is not a new relay)
    to_esme = han.air().filter(layer="aps", src=han.eui_int("chf"), dst=han.eui_int("esme")).all()
    before = {(p.get("aps.counter"), p.cluster) for p in to_esme if p.time < asked and p.command != "aps_ack"}
    relayed = [p for p in to_esme if p.time >= removed and (p.get("aps.counter"), p.cluster) not in before]
    assert not relayed, f"the CHF sent {len(relayed)} APS frame(s) to the ESME after removing it from its Device " \
                        f"Log, first: {relayed[0].summary()}"
    # … and no answer comes back
    assert answer is None, "a device removed from the CHF Device Log still answered through the CHF"
