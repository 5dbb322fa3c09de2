"""The meter's event and security logs (BAD 7.5.7.5.1): SRV 3.3 Clear Event Log (ECS15a, non-critical) empties
the ESME's event log; its security log cannot be cleared. Both logs are read through the DCC with SRV 6.13 (ECS35a
event log, ECS35b security log).

Topology: the CH commissioned and the ESME installed on its HAN; the ESME is the device under test. The rig plays
the supplier through the DCC core. Entries are made the way any meter makes them: the commands it runs (its event
log) and a command whose MAC does not verify, which it must refuse and record (its security log).
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import device_logs as logs
from harness.dcc.core import Outgoing, Received
from device_steps import install

STEP = 10.0  # seconds between the steps, so that what was logged before a clear is told apart by its time
pytestmark = [pytest.mark.scenario(107), pytest.mark.roles("chf", "esme"), pytest.mark.dut("esme"),
              pytest.mark.clause("BAD 7.5.7.5.1 (SRV 3.3 clears the event log; the security log can't be cleared); "
                                 "GBCS ECS15a, ECS35a, ECS35b")]


class Logs:
    """The ESME's logs as the supplier sees them through the DCC."""

    def __init__(self, han, evidence):
        self.han = han
        self.evidence = evidence
        self.eui = han.eui("esme")

    def prepare(self) -> None:
        """Topology, then an entry in each log: a refused command (MAC flipped) for the security log."""
        self.han.commission_ch()
        install(self.han, "esme")
        tampered = self.han.core.command(SUPPLIER, self.eui, logs.ECS35A, self._read(logs.EVENT_LOG))
        self.han.devices.transmit(tampered.data[:-1] + bytes([tampered.data[-1] ^ 0x01]), "ECS35a, MAC flipped")
        self.han.run_for(self.han.devices.response_time)
        self.han.run_for(STEP)

    def _read(self, log: bytes):
        end = self.han.clock.now() + 3600
        return lambda counter: logs.read_payload(counter, log, logs.GB_EPOCH, int(end))

    def _send(self, code: int, payload, what: str) -> tuple[Outgoing, Received | None]:
        return self.han.devices.request(SUPPLIER, self.eui, code, payload, critical=False, what=what)

    def read(self, log: bytes) -> list[logs.Entry]:
        """SRV 6.13: the log's entries (the read itself must succeed)."""
        name = "event log" if log == logs.EVENT_LOG else "security log"
        _, response = self._send(logs.READS[log], self._read(log), f"SRV 6.13 read {name}")
        assert response is not None, f"no verified response to SRV 6.13 ({name}); refused by the DCC: " \
                                     f"{[str(r) for r in self.han.devices.rejected]}"
        found = logs.entries(response.header.payload, log)
        assert found is not None, f"the ESME refused to read its {name} (SRV 6.13)"
        self.evidence.append("logs.txt", f"{self.han.clock.now():.0f} {name}: "
                                         f"{[(e.time, f'{e.code:04X}', e.extra.hex()) for e in found]}")
        return found

    def clear(self, log: bytes) -> int | None:
        """SRV 3.3 (ECS15a) naming `log`: the action result, or None when the ESME sent no response."""
        name = "event log" if log == logs.EVENT_LOG else "security log"
        self.han.run_for(STEP)
        _, response = self._send(logs.ECS15A, lambda counter: logs.clear_payload(counter, log),
                                 f"SRV 3.3 clear {name}")
        result = None if response is None else logs.action_result(response.header.payload)
        self.evidence.append("logs.txt", f"{self.han.clock.now():.0f} SRV 3.3 clear {name}: result {result}")
        self.han.run_for(STEP)
        return result


@pytest.fixture
def esme_logs(han, evidence) -> Logs:
    out = Logs(han, evidence)
    out.prepare()
    return out


def test_clear_event_log_empties_it_and_keeps_the_security_log(esme_logs):
    events, security = esme_logs.read(logs.EVENT_LOG), esme_logs.read(logs.SECURITY_LOG)
    assert events, "precondition: the ESME's event log is empty after installation and commands"
    assert security, "the ESME logged nothing in its security log for a command whose MAC does not verify"
    cleared_at = int(esme_logs.han.clock.now() + STEP)  # when SRV 3.3 is sent (log times are whole seconds)

    # Action: SRV 3.3 Clear Event Log (ECS15a)
    result = esme_logs.clear(logs.EVENT_LOG)
    # "SRV 3.3 (Non-Critical) -> ECS15a (ESME event log)": the ESME runs it and says so
    assert result == 0, f"the ESME did not clear its event log: action result {result}"
    # "clears event log": nothing logged before the clear is read back
    after = esme_logs.read(logs.EVENT_LOG)
    kept = [e for e in after if e.time < cleared_at]
    assert not kept, f"the event log still holds {len(kept)} entries from before SRV 3.3: {kept}"
    # "Security log can't be cleared": every security entry is still there
    still = esme_logs.read(logs.SECURITY_LOG)
    assert all(e in still for e in security), \
        f"SRV 3.3 removed security log entries: before {security}, after {still}"


def test_security_log_cannot_be_cleared(esme_logs):
    security = esme_logs.read(logs.SECURITY_LOG)
    assert security, "the ESME logged nothing in its security log for a command whose MAC does not verify"

    # Action: the SRV 3.3 reset, naming the security log
    result = esme_logs.clear(logs.SECURITY_LOG)
    # "Security log can't be cleared": refused (a response, if any, does not report success) ...
    assert result != 0, "the ESME reported its security log cleared"
    # ... and ineffective: every entry is still read back
    still = esme_logs.read(logs.SECURITY_LOG)
    assert all(e in still for e in security), f"security log entries are gone: before {security}, after {still}"
    # Positive control, same state: the same reset naming the event log is run
    assert esme_logs.clear(logs.EVENT_LOG) == 0, "the ESME did not clear its event log (SRV 3.3)"
