"""Benchmark: the conformance suite on the built-in sim bench with `rig run --workers 1` and `--workers 2`.

Prints the suite's wall time at 1 and 2 workers and their throughput ratio (target >= 1.8 on 2 cores), and the
peak memory of each bench (its `rig run` process with its simulated boards; proportional set size, so shared
pages count once; target <= 150 MB). Also says whether both runs gave the same verdicts. Asserts nothing.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

WORKERS = (1, 2)
SAMPLE_SECONDS = 0.2


def _children() -> dict[int, list[int]]:
    """pid -> child pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _memory_kb(pid: int) -> int:
    """Proportional set size of one process (its resident size where smaps_rollup is absent), in KB."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1])
        except OSError:
            continue
    return 0


def _tree_kb(root: int, tree: dict[int, list[int]]) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _memory_kb(pid)
        todo += tree.get(pid, [])
    return total


def run(workers: int, folder: Path) -> tuple[float, list[float], dict[str, str]]:
    """(wall seconds, peak MB per bench, verdicts) of one `rig run --workers N`."""
    command = [sys.executable, "-c", "from rig.cli import main; main()", "run", "--results", str(folder),
               "--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peaks: dict[int, int] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            tree = _children()
            benches = [proc.pid] if workers == 1 else tree.get(proc.pid, [])
            for pid in benches:
                peaks[pid] = max(peaks.get(pid, 0), _tree_kb(pid, tree))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    proc.wait()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    record = json.loads((folder / "run.json").read_text())
    return wall, [kb / 1024 for kb in peaks.values()], {t["nodeid"]: t["verdict"] for t in record["tests"]}


def main() -> None:
    print(f"conformance suite on the sim bench, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="rig-bench-parallel-") as scratch:
        runs = {n: run(n, Path(scratch) / f"w{n}") for n in WORKERS}
    for n, (wall, peaks, verdicts) in runs.items():
        print(f"  {n} worker{'s' if n > 1 else ' '}: {len(verdicts)} tests in {wall:6.1f} s; peak memory per bench "
              + ", ".join(f"{mb:.0f} MB" for mb in peaks))
    (one, _, single), (two, _, merged) = runs[1], runs[2]
    print(f"  throughput ratio 2 workers / 1 worker: {one / two:.2f} (target >= 1.8 on 2 cores)")
    print(f"  largest bench: {max(mb for _, peaks, _ in runs.values() for mb in peaks):.0f} MB (target <= 150 MB)")
    print(f"  same verdicts at 1 and 2 workers: {'yes' if single == merged else 'NO'}")


if __name__ == "__main__":
    main()
