"""Benchmark: the conformance suite's wall time on `sim-ezsp` (every radio bellows over a pty to an emulated NCP)
against `sim` (simulated radios), in the same run, printed with the ratio (target <= 2.0) and whether the verdicts
agree. Set EZSP_SUITE_BENCHES (e.g. "sim-ezsp-v8 sim-ezsp-v13") to time other EZSP versions too. Asserts nothing.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = "tests/conformance"


def run(bench: str, results: Path) -> tuple[float, dict[str, str]]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", SUITE, "--bench", bench,
                    "--results", str(results)], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    record = json.loads(next(results.glob("**/run.json")).read_text())
    return elapsed, {test["nodeid"]: test["verdict"] for test in record["tests"]}


def main() -> None:
    benches = ["sim-ezsp"] + os.environ.get("EZSP_SUITE_BENCHES", "").split()
    with tempfile.TemporaryDirectory() as tmp:
        base, verdicts = run("sim", Path(tmp) / "sim")
        print(f"sim       : {base:7.1f} s  {len(verdicts)} tests, "
              f"{sum(v == 'PASS' for v in verdicts.values())} PASS")
        for bench in benches:
            elapsed, theirs = run(bench, Path(tmp) / bench)
            differ = sorted(n for n in verdicts.keys() | theirs.keys() if verdicts.get(n) != theirs.get(n))
            print(f"{bench:10s}: {elapsed:7.1f} s  ratio {elapsed / base:.2f} (target <= 2.0)  "
                  f"verdicts {'identical' if not differ else 'DIFFER: ' + ', '.join(differ)}")


if __name__ == "__main__":
    main()
