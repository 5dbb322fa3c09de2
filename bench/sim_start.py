"""What the HAN benchmarks share: mint the bench SMKI and start the built-in sim bench, timing both."""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from emulators.provision import Provisioning
from rig.bench.builtin import sim_bench
from rig.bench.runtime import BenchRuntime


@contextmanager
def started_sim_bench(workdir: Path) -> Iterator[tuple[BenchRuntime, Provisioning, float]]:
    """The running sim bench, its provisioning and the perf_counter when minting began; prints both start-up times."""
    bench = sim_bench()
    started = time.perf_counter()
    provisioning = Provisioning(workdir / "provisioning", {r: e.eui64 for r, e in bench.roles.items()})
    minted = time.perf_counter()
    with BenchRuntime(bench, workdir / "bench", board_extra=lambda role: provisioning.board_config(role)) as runtime:
        up = time.perf_counter()
        print(f"provisioning (bench SMKI + CBKE certificates): {1000 * (minted - started):8.1f} ms")
        print(f"bench start (6 MicroPython boards, deploy, links): {1000 * (up - minted):8.1f} ms")
        yield runtime, provisioning, started
