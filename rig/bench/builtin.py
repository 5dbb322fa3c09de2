"""The built-in `sim` bench (six emulated roles on simulated boards and the simulated radio medium) and
choosing a bench from a command-line argument."""
from __future__ import annotations

from pathlib import Path

from rig.bench.benchfile import load_bench, sim_eui64
from rig.bench.model import ROLES, SIM, Bench, Emulator, Radio

SIM_BENCH = "sim"


def sim_bench() -> Bench:
    """Every role emulated on a simulated board, all on the simulated radio medium."""
    roles = {role: Emulator(role=role, board=SIM, radio=Radio(kind=SIM), eui64=sim_eui64(i + 1))
             for i, role in enumerate(ROLES)}
    return Bench(name=SIM_BENCH, roles=roles)


def resolve_bench(arg: str | Path | None, *, check_files: bool = True) -> Bench:
    """`None` or "sim" is the built-in sim bench; anything else is a bench file path."""
    if arg is None or str(arg) == SIM_BENCH:
        return sim_bench()
    return load_bench(arg, check_files=check_files)
