"""`rig run --workers N`: the suite on N independent simulated benches at once, merged into one results folder.

Worker K is a `rig run` of its own (a process with its own boards, flash folders, radio medium, clock and DCC
counters) that runs the selected tests K, K+N, K+2N... into ``<results>/workers/wK/``; its output goes to
``<results>/workers/wK.log`` and its verdict lines are shown live, prefixed ``[wK]``. When every worker is done,
``<results>/run.json`` and ``junit.xml`` hold all their tests (evidence paths point into the workers' folders).

SIGINT or SIGTERM is passed on to every worker (each stops cleanly and marks its run interrupted); a second
signal is passed on too, and the workers stop at once.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Callable

from harness.results import ResultEntry, ResultsWriter, RunRecord, utc_now
from harness.verdicts import Verdict

VERDICT_LINE = re.compile(r"^(PASS|FAIL|ERROR|SKIP) +[0-9.]+s  ")  # the live line of a finished test
WORKERS_DIR = "workers"


def worker_folder(results: Path, k: int) -> Path:
    return results / WORKERS_DIR / f"w{k}"


def run_workers(results: Path, workers: int, run_args: list[str],
                say: Callable[[str], None]) -> tuple[list[int], str | None]:
    """Run `workers` `rig run` processes (each given `run_args` plus its --results and --shard); returns their
    exit codes and the name of the signal that interrupted the run (None when none did)."""
    (results / WORKERS_DIR).mkdir(parents=True, exist_ok=True)
    procs, readers = [], []
    received: list[str] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        for proc in procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for k in range(workers):
            command = [sys.executable, "-c", "from rig.cli import main; main()", "run", *run_args,
                       "--results", str(worker_folder(results, k)), "--shard", f"{k}/{workers}"]
            # own session: a terminal's Ctrl-C reaches the workers once, through `forward`, not twice
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True)
            procs.append(proc)
            log = results / WORKERS_DIR / f"w{k}.log"
            reader = threading.Thread(target=_relay, args=(proc, log, f"[w{k}] ", say), daemon=True)
            reader.start()
            readers.append(reader)
        codes = [proc.wait() for proc in procs]
        for reader in readers:
            reader.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for proc in procs:
            if proc.poll() is None:  # only when this process itself is going down
                os.kill(proc.pid, signal.SIGTERM)
    return codes, (received[0] if received else None)


def _relay(proc: subprocess.Popen, log: Path, prefix: str, say: Callable[[str], None]) -> None:
    """Copy a worker's output to its log, showing its verdict lines."""
    assert proc.stdout is not None
    with log.open("w") as out:
        for line in proc.stdout:
            out.write(line)
            if VERDICT_LINE.match(line):
                say(prefix + line.rstrip("\n"))


def merge(results: Path, workers: int, started: str, interrupted: str | None) -> RunRecord:
    """One record of every worker's run, in the order the tests were selected; written to `results`."""
    records = [_load(worker_folder(results, k)) for k in range(workers)]
    present = [(k, r) for k, r in enumerate(records) if r is not None]
    record = RunRecord(run_id=results.name, bench=present[0][1]["bench"] if present else {},
                       versions=dict(present[0][1]["versions"]) if present else {}, started=started)
    firmware: dict = {}
    for _, worker in present:
        firmware.update(worker["versions"].get("firmware") or {})
    record.versions["firmware"] = firmware
    columns = [[_entry(results, k, test) for test in worker["tests"]] for k, worker in present]
    seen: set[str] = set()
    for row in range(max((len(c) for c in columns), default=0)):
        for column in columns:
            if row < len(column) and column[row].nodeid not in seen:  # a collection error shows in every worker
                seen.add(column[row].nodeid)
                record.tests.append(column[row])
    record.interrupted = interrupted or next((w["interrupted"] for _, w in present if w["interrupted"]), None)
    record.finished = utc_now()
    ResultsWriter(results, record).flush()
    return record


def _load(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "run.json").read_text())
    except (OSError, ValueError):
        return None


def _entry(results: Path, k: int, test: dict) -> ResultEntry:
    prefix = f"{WORKERS_DIR}/w{k}/"
    evidence = [prefix + path for path in test["evidence"]]
    failure = next((results / p for p in evidence if p.endswith("/failure.txt")), None)
    details = failure.read_text(errors="replace") if failure is not None and failure.is_file() else ""
    return ResultEntry(nodeid=test["nodeid"], verdict=Verdict(test["verdict"]), reason=test["reason"],
                       scenarios=test["scenarios"], clause=test["clause"], duration=test["duration"],
                       evidence=evidence, roles=test.get("roles", []), dut=test.get("dut", []), details=details)
