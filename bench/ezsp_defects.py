"""The defect matrix on `sim-ezsp` against `sim`: for the defects that act through the radio path (or those in
EZSP_DEFECTS, e.g. "chf:admit_unlisted esme:keep_preconfigured_key", or "all"), the conformance suite (or
EZSP_DEFECT_SUITE, pytest paths) is run on both benches and the verdicts compared test by test. Prints one line
per defect; asserts nothing. With "all" it is long (about twice the sim matrix's time, one run at a time).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulators.defects import known_defects

ROOT = Path(__file__).resolve().parents[1]
RADIO_PATH = ("chf:admit_unlisted", "chf:skip_install_code_check", "chf:keep_permit_after_remove",
              "chf:ignore_join_period", "esme:keep_preconfigured_key", "chf:interpan_never_open")


def verdicts(bench: str, defect: str | None, suite: list[str], results: Path) -> dict[str, str]:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *suite, "--bench", bench,
            "--results", str(results)]
    subprocess.run(args + (["--defect", defect] if defect else []), cwd=ROOT, capture_output=True, text=True)
    record = json.loads(next(results.glob("**/run.json")).read_text())
    return {test["nodeid"]: test["verdict"] for test in record["tests"]}


def main() -> None:
    chosen = os.environ.get("EZSP_DEFECTS", "").split() or list(RADIO_PATH)
    if chosen == ["all"]:
        chosen = sorted(f"{role}:{name}" for role, names in known_defects().items() for name in names)
    suite = os.environ.get("EZSP_DEFECT_SUITE", "tests/conformance").split()
    agree = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n, defect in enumerate([None, *chosen]):
            started = time.perf_counter()
            sim = verdicts("sim", defect, suite, Path(tmp) / f"{n}-sim")
            ezsp = verdicts("sim-ezsp", defect, suite, Path(tmp) / f"{n}-ezsp")
            differ = sorted(k for k in sim.keys() | ezsp.keys() if sim.get(k) != ezsp.get(k))
            agree += not differ
            caught = sum(v == "FAIL" for v in ezsp.values())
            print(f"{defect or '(none)':32s} {time.perf_counter() - started:6.1f} s  sim-ezsp FAIL {caught:2d}  "
                  + ("verdicts identical" if not differ else
                     "DIFFER: " + ", ".join(f"{k} sim {sim.get(k)} ezsp {ezsp.get(k)}" for k in differ)), flush=True)
    print(f"{agree} of {len(chosen) + 1} runs agree")


if __name__ == "__main__":
    main()
