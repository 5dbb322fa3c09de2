"""Sweep: the whole conformance suite on the sim bench under radio loss, at 10% and 30% for 5 seeds each.

A lost frame must never turn into a device's FAIL: retries cover it (PASS), or the channel lost it beyond every
retry (ERROR). Prints PASS/FAIL/ERROR/SKIP per loss and seed, rig run's exit status and the wall time of each
run, and each FAILed or ERRORed case with its reason; the last line counts the FAILs (exit status 1 when there are any). Usage: bench/loss_sweep.py [LOSS ...]
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOSSES = (0.1, 0.3)
SEEDS = range(1, 6)
RUN_TIMEOUT = 900


def one_run(loss: float, seed: int, results: Path) -> tuple[list[dict], int, float]:
    """(the run's tests from run.json, rig run's exit status, seconds) of one run of the suite."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from rig.cli import main; main()", "run", "--loss", str(loss),
                           "--seed", str(seed), "--results", str(results)], cwd=ROOT, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT)
    seconds = time.perf_counter() - started
    try:
        tests = json.loads((results / "run.json").read_text())["tests"]
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"loss {loss} seed {seed}: no run.json ({exc}); exit {done.returncode}\n{done.stderr}")
    return tests, done.returncode, seconds


def main(losses: tuple[float, ...]) -> int:
    print(f"{'loss':>5} {'seed':>4} {'PASS':>5} {'FAIL':>5} {'ERROR':>5} {'SKIP':>5} {'exit':>4} {'seconds':>8}")
    fails = 0
    with tempfile.TemporaryDirectory(prefix="loss-sweep-") as tmp:
        for loss in losses:
            for seed in SEEDS:
                tests, code, seconds = one_run(loss, seed, Path(tmp) / f"{loss}-{seed}")
                counts = Counter(t["verdict"] for t in tests)
                fails += counts["FAIL"]
                print(f"{loss:>5.0%} {seed:>4} {counts['PASS']:>5} {counts['FAIL']:>5} {counts['ERROR']:>5} "
                      f"{counts['SKIP']:>5} {code:>4} {seconds:>8.1f}", flush=True)
                for test in tests:
                    if test["verdict"] in ("FAIL", "ERROR"):
                        print(f"      {test['verdict']} {test['nodeid']}: {test.get('reason', '')[:160]}", flush=True)
    print(f"FAIL under loss: {fails} (expected 0)")
    return 1 if fails else 0


if __name__ == "__main__":
    raise SystemExit(main(tuple(float(a) for a in sys.argv[1:]) or LOSSES))
