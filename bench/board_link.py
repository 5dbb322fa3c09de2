"""Board link benchmark: round trips per second and latency percentiles over a pty, against the real firmware
running in the MicroPython unix port (figures only, no asserts).

    .venv/bin/python bench/board_link.py [--n 1000] [--payload 0]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rig.boardlink import BoardLink  # noqa: E402
from ptyboard import PtyBoard  # noqa: E402  (the bare firmware board the link tests use)


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(round(p / 100 * (len(sorted_ms) - 1))))]


def run(n: int, payload: int) -> None:
    data = "x" * payload
    with tempfile.TemporaryDirectory() as tmp, PtyBoard(tmp, {"role": "esme", "board_id": "bench"}) as board:
        start = time.perf_counter()
        board.start()
        with BoardLink(board.port) as link:
            link.connect(timeout=5)
            boot_ms = (time.perf_counter() - start) * 1000
            for _ in range(20):
                link.call("ping", data=data)  # warm-up
            lat = []
            t0 = time.perf_counter()
            for _ in range(n):
                t = time.perf_counter()
                link.call("ping", data=data)
                lat.append((time.perf_counter() - t) * 1000)
            total = time.perf_counter() - t0
    lat.sort()
    print(f"board link over a pty, MicroPython unix port, ping with {payload} B of data, {n} sequential calls")
    print(f"  boot to hello answered: {boot_ms:.1f} ms")
    print(f"  round trips/s: {n / total:.0f}")
    print(f"  latency ms: p50 {percentile(lat, 50):.3f}  p90 {percentile(lat, 90):.3f}  "
          f"p99 {percentile(lat, 99):.3f}  max {lat[-1]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="sequential calls to time")
    parser.add_argument("--payload", type=int, default=0, help="bytes of data echoed by each ping")
    args = parser.parse_args()
    run(args.n, args.payload)


if __name__ == "__main__":
    main()
