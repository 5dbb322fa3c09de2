"""A nightly-style sequence of recorded run folders, written through the rig's own results writer.

Three runs of bench ``nightly`` with an emulated ESME as the device under test: run 1 on ESME firmware 1.0
(the basis), runs 2 and 3 on firmware 1.1. Run 2 plays a defect (``test_topup_replay`` turns FAIL: a new
failure), run 3 loses the ESME board (ERROR: a bench fault). ``test_join_timing`` fails on 1.0 and passes on
1.1 (fixed); ``test_alert_order`` flips on 1.1 between runs 2 and 3 (flaky). Run 3 can carry a bench SMKI so an
evidence bundle can be signed.
"""
from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

from harness.evidence import Evidence, safe_name
from harness.results import ResultEntry, ResultsWriter, RunRecord
from harness.smki.mint import mint
from harness.verdicts import Verdict

SUITE = "tests/conformance/test_nightly.py::"
CLAUSE = "BAD 7.2.1.6.7"
TESTS = {  # name -> (scenarios, verdicts of runs 1, 2, 3)
    "test_join": ((13,), ("PASS", "PASS", "PASS")),
    "test_topup_replay": ((70,), ("PASS", "FAIL", "ERROR")),
    "test_join_timing": ((14,), ("FAIL", "PASS", "PASS")),
    "test_alert_order": ((15,), ("PASS", "FAIL", "PASS")),
    "test_meter_read": ((16,), ("PASS", "PASS", "ERROR")),
}
FIRMWARE = ("1.0", "1.1", "1.1")
FAILURES = {"test_topup_replay": "ESME accepted a UTRN whose counter it had already accepted",
            "test_join_timing": "ESME sent its first CBKE request after the join window closed",
            "test_alert_order": "ESME sent the supply-armed alert before the response"}
BENCH_FAULT = "BoardLost: board esme is not running"
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 0xFFFF, 195)
ROLES = {"chf": {"kind": "emulator", "board": "sim", "radio": "sim", "radio_port": None},
         "esme": {"kind": "emulator", "board": "sim", "radio": "sim", "radio_port": None}}


def nodeid(name: str) -> str:
    return SUITE + name


def write_run(folder: Path, index: int, started: dt.datetime, smki: bool = False) -> str:
    """Run `index` (0, 1, 2) of the sequence into `folder`; returns its run id."""
    run_id = f"{started.strftime('%Y%m%dT%H%M%SZ')}-nightly{index + 1}"
    stamp = started.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    versions = {"rig": "0.1.0", "python": "3.11", "firmware": {"chf": "0.1.0", "esme": FIRMWARE[index]}}
    writer = ResultsWriter(folder, RunRecord(run_id=run_id, bench={"name": "nightly", "source": None, "channel": 11,
                                                                   "roles": ROLES}, versions=versions, started=stamp))
    for name, (scenarios, verdicts) in TESTS.items():
        verdict = verdicts[index]
        reason = {"PASS": "", "FAIL": FAILURES.get(name, ""), "ERROR": BENCH_FAULT}[verdict]
        evidence = Evidence(folder / safe_name(nodeid(name)))
        (evidence.folder / "han").mkdir(exist_ok=True)
        (evidence.folder / "han" / "han.pcap").write_bytes(PCAP_HEADER)
        evidence.transcript(f"0.000 -> CS11 {name}")
        if verdict != "PASS":
            evidence.attach_text("failure.txt", f"{name}: {reason}")
        files = [str(p.relative_to(folder)) for p in evidence.files()]
        writer.add(ResultEntry(nodeid=nodeid(name), verdict=Verdict(verdict), reason=reason,
                               scenarios=list(scenarios), clause=CLAUSE, duration=0.5, evidence=files,
                               roles=["chf", "esme"], dut=["esme"]))
    if smki:
        mint(folder / "bench" / "provisioning" / "smki")
    writer.finish()
    writer.record.finished = (started + dt.timedelta(minutes=10)).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
    writer.flush()
    return run_id


def write_sequence(root: Path, smki: bool = False, now: dt.datetime | None = None) -> list[Path]:
    """The three run folders under `root`, a day apart and ending an hour ago (the last with a bench SMKI if
    `smki`)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    folders = []
    for index in range(3):
        folder = root / f"run{index + 1}"
        write_run(folder, index, now - dt.timedelta(days=2 - index, hours=1), smki=smki and index == 2)
        folders.append(folder)
    return folders
