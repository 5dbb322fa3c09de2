"""Benchmark: one full CBKE exchange, both sides (initiator and responder state machines), suites 1 and 2.

Each side does an ECQV reconstruction, an ephemeral key generation, ECMQV, the KDF and both MACs.
Prints the median of a few runs in ms against the 100 ms suite-2 target.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.zse.ke import Credentials, Initiator, Responder  # noqa: E402
from harness.zse.bench_ca import BenchCA  # noqa: E402

EUI_U = bytes.fromhex("0A0B0C0D0E0F1012")
EUI_V = bytes.fromhex("0A0B0C0D0E0F1011")
TARGET_MS = 100.0


def exchange(suite: int, ca: BenchCA, u, v) -> float:
    """Run one exchange; returns elapsed ms."""
    cu = Credentials(suite, u.cert_bytes, u.private_key, ca.public_key)
    cv = Credentials(suite, v.cert_bytes, v.private_key, ca.public_key)
    start = time.perf_counter()
    ini = Initiator(EUI_U, EUI_V, [cu], partner_suites=1 << (suite - 1))
    rsp = Responder(EUI_V, EUI_U, [cv])
    to_v = ini.start()
    while to_v:
        to_u = [f for frame in to_v for f in rsp.receive(frame)]
        to_v = [f for frame in to_u for f in ini.receive(frame)]
    elapsed = (time.perf_counter() - start) * 1000
    if ini.key is None or ini.key != rsp.key:
        raise SystemExit(f"suite {suite} exchange failed: {ini.reason or rsp.reason}")
    return elapsed


def main() -> None:
    for suite in (1, 2):
        ca = BenchCA(suite, seed=b"bench")
        u, v = ca.issue(EUI_U), ca.issue(EUI_V)
        runs = [exchange(suite, ca, u, v) for _ in range(5)]
        line = f"CBKE suite {suite}, full exchange both sides: median {statistics.median(runs):.1f} ms " \
               f"(min {min(runs):.1f}, first {runs[0]:.1f})"
        if suite == 2:
            line += f"; target {TARGET_MS:.0f} ms, ratio {statistics.median(runs) / TARGET_MS:.2f}"
        print(line)


if __name__ == "__main__":
    main()
