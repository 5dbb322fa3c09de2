"""Results dashboard benchmark: fill a store with a year of nightly runs through the real write path, then time
each dashboard page in the server (target: under 300 ms for the runs list, a run, a test history and the matrix).

Run: ``.venv/bin/python bench/dashboard.py [--runs 10000] [--cases 100] [--store PATH|URL]``. Without --store a
fresh SQLite file in a temporary folder is used; a --store already holding that many runs is timed as it is.
Prints figures only: wall and CPU time per page, and the machine's load (on a shared machine the wall time is
the CPU time stretched by the load; compare a quiet re-measure).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from harness.store.record import parse_run  # noqa: E402
from harness.store.schema import runs  # noqa: E402
from harness.store.store import Store  # noqa: E402

BENCHES = ("farm-a", "farm-b", "farm-c", "farm-d")
MODELS = ("Acme ESME-3", "Brill GSME-2", "Cobalt PPMID")
FIRMWARES = ("2.0.0", "2.1.0", "2.2.0", "3.0.0")
DAYS = 365
TARGET_MS = 300
TIMED = ("runs list", "run page", "test history", "matrix")


def make_run(i: int, total: int, cases: int, rng: random.Random) -> dict:
    """Run `i` of `total`, spread evenly over the last year: a real DUT of one model and firmware per run."""
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=DAYS * (1 - i / total))
    bench = BENCHES[i % len(BENCHES)]
    model = MODELS[(i // len(BENCHES)) % len(MODELS)]
    firmware = FIRMWARES[min(len(FIRMWARES) - 1, i * len(FIRMWARES) // total + rng.choice((0, 0, 0, -1)))]
    roles = {"chf": {"kind": "emulator", "board": f"/dev/{bench}-chf", "radio": "ezsp", "radio_port": "/dev/ncp"},
             "esme": {"kind": "dut", "eui64": "00DB1234567890A0", "via": "chf", "manufacturer": model.split()[0],
                      "model": model, "firmware": firmware}}
    tests = []
    for c in range(cases):
        verdict = "PASS"
        if (c * 7 + FIRMWARES.index(firmware)) % 23 == 0:
            verdict = "FAIL"               # a firmware-dependent failure (regressions and fixes between versions)
        if c % 17 == 5 and rng.random() < 0.2:
            verdict = "FAIL" if verdict == "PASS" else "PASS"  # flaky cases
        if bench == "farm-d" and rng.random() < 0.05:
            verdict = "ERROR"
        tests.append({"nodeid": f"tests/conformance/test_suite_{c // 10}.py::test_case_{c}", "verdict": verdict,
                      "reason": "" if verdict == "PASS" else ("BoardLost: board chf is not running"
                                                              if verdict == "ERROR" else "DUT broke a rule"),
                      "scenarios": [1 + c % 130], "clause": "BAD 7.2.1.6.7", "duration": 1.0,
                      "evidence": [f"case{c}/han/han.pcap", f"case{c}/gbcs-transcript.txt"], "dut": ["esme"]})
    return {"run_id": f"bench-{i:06d}", "bench": {"name": bench, "roles": roles},
            "versions": {"rig": "0.1.0", "firmware": {"chf": "0.1.0"}},
            "started": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "finished": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"), "tests": tests}


def fill(store: Store, total: int, cases: int) -> float:
    rng = random.Random(1)
    start = time.perf_counter()
    for i in range(total):
        store.record(parse_run(make_run(i, total, cases, rng)), exit_status=0)
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1} runs stored ({(i + 1) / (time.perf_counter() - start):.0f} runs/s)", flush=True)
    return time.perf_counter() - start


def time_pages(store: Store, total: int, repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Per page, `repeat` samples of (wall ms, CPU ms of this process) for one request served in-process."""
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

    from rig.dashboard.app import Settings, create_app

    pages = {"runs list": "/", "runs list, filtered": f"/?model={MODELS[0]}&firmware={FIRMWARES[1]}&verdict=FAIL",
             "run page": f"/runs/bench-{total // 2:06d}",
             "test history": "/history?nodeid=tests/conformance/test_suite_0.py::test_case_5",
             "matrix": "/matrix", "matrix, basis chosen": f"/matrix?basis={FIRMWARES[0]}", "bench health": "/health"}
    client = TestClient(create_app(Settings(store=store, evidence_dir=Path(tempfile.gettempdir()))))
    times: dict[str, list[tuple[float, float]]] = {}
    for name, url in pages.items():
        client.get(url)  # warm the page's caches once
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.setdefault(name, []).append(((time.perf_counter() - start) * 1000,
                                               (time.process_time() - cpu) * 1000))
            assert response.status_code == 200, (url, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", help="store to fill (default: a new SQLite file in a temporary folder)")
    args = parser.parse_args()
    print("load average (1, 5, 15 min) at start: %.2f %.2f %.2f on %d cores" % (*os.getloadavg(), os.cpu_count()))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.store or Path(tmp) / "rig.db")
        with store.engine.connect() as conn:
            held = conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar()
        if held >= args.runs:
            print(f"store: {store.engine.dialect.name}; reusing its {held} runs")
        else:
            print(f"store: {store.engine.dialect.name}; filling {args.runs} runs x {args.cases} test cases")
            took = fill(store, args.runs, args.cases)
            print(f"fill: {took:.1f} s ({args.runs / took:.0f} runs/s, {args.runs * args.cases / took:,.0f} tests/s)")
        times = time_pages(store, args.runs, args.repeat)
        print(f"server time per page over {args.repeat} requests (target < {TARGET_MS} ms for the timed pages; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: CPU time is the page's own work)")
        for name, samples in times.items():
            wall, cpu = statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)
            mark = ("ok" if wall < TARGET_MS else "OVER") if name in TIMED else ""
            print(f"  {name:22} wall median {wall:7.1f} ms  max {max(s[0] for s in samples):7.1f} ms  "
                  f"CPU median {cpu:7.1f} ms  {mark}")
        store.close()
    print("load average (1, 5, 15 min) at end: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
