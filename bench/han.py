"""Benchmark: wall time to install and commission ESME, GSME and PPMID on the built-in sim bench.

Per device: SRV 8.11 (CCS01 through the CHF board's own GBCS checks), CS14, HAN join (scan, association,
Transport-Key), suite-2 CBKE with the CHF, second CS14, N24. Prints figures; asserts nothing.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from emulators.provision import Provisioning
from harness.dcc.smi import Status
from rig.bench.runtime import BenchRuntime
from rig.han_session import HanSession
from sim_start import started_sim_bench

DEVICES = ("esme", "gsme", "ppmid")
ROUNDS = 3


def one_round(runtime: BenchRuntime, provisioning: Provisioning, workdir: Path) -> dict[str, float]:
    for role in runtime.roles:
        runtime.link(role).call("reset")
    han = HanSession(runtime, provisioning, workdir)
    times: dict[str, float] = {}
    try:
        for role in DEVICES:
            started = time.perf_counter()
            han.prenotify(role)
            assert han.dcc.add_device(han.chf_eui, han.eui(role), provisioning.install_code(role), 90).ok
            han.run_for(1)
            outcome = han.device(role).join(han.chf.identity.eui_int)
            han.run_for(1)
            times[role] = time.perf_counter() - started
            if not outcome.joined or han.smi.status(han.eui(role)) is not Status.INSTALLED_NOT_COMMISSIONED:
                raise SystemExit(f"{role} did not join: {outcome}")
    finally:
        han.close()
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with started_sim_bench(workdir) as (runtime, provisioning, _):
            rounds = [one_round(runtime, provisioning, workdir / f"round{i}") for i in range(ROUNDS)]
        for role in DEVICES:
            samples = [r[role] for r in rounds]
            print(f"install + commission {role:5s} (CCS01, CS14, join, CBKE, CS14, N24): "
                  f"median {1000 * statistics.median(samples):7.1f} ms over {ROUNDS} rounds")
        totals = [sum(r.values()) for r in rounds]
        print(f"all three devices: median {1000 * statistics.median(totals):7.1f} ms "
              f"(first round {1000 * totals[0]:.1f} ms, includes one-off table set-up)")


if __name__ == "__main__":
    main()
