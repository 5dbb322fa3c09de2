"""CHF Device Log capacity (BAD 7.6.2.1): once the log is full, a further CCS01 fails cleanly: the CHF answers with a
failure result, raises no CS14, and no device already in the log is lost on the way.

Topology: the CHF is the device under test; the rig's DCC core sends SRV 8.11 (CCS01) for one new device after
another until the CHF refuses one. Checks read the DCC core only: the CCS01 responses and the CS14 alerts (each
carries the whole log).
"""
from __future__ import annotations

import pytest

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
