"""The built-in benches and choosing a bench from a command-line argument. `sim`: seven emulated roles on simulated
boards and the simulated radio medium. `sim-ezsp` (`sim-ezsp-vN` for EZSP version N): the same, but every radio is
bellows talking to an emulated EmberZNet NCP over a pty (the NCPs' air side is the same simulated medium)."""
from __future__ import annotations

from pathlib import Path

from rig.bench.benchfile import load_bench, sim_eui64
from emulators.ncp.commands import NEWEST, SUPPORTED
from rig.bench.model import EZSP_SIM, ROLES, SIM, Bench, Emulator, Radio

SIM_BENCH = "sim"
SIM_EZSP_BENCH = "sim-ezsp"


def sim_bench(radio: Radio = Radio(kind=SIM), name: str = SIM_BENCH) -> Bench:
    """Every role emulated on a simulated board, all on the simulated radio medium (through `radio`)."""
    roles = {role: Emulator(role=role, board=SIM, radio=radio, eui64=sim_eui64(i + 1))
             for i, role in enumerate(ROLES)}
    return Bench(name=name, roles=roles)


def sim_ezsp_bench(version: int = NEWEST) -> Bench:
    """The sim bench with every radio an EZSP `version` NCP, emulated, driven by bellows."""
    name = SIM_EZSP_BENCH if version == NEWEST else f"{SIM_EZSP_BENCH}-v{version}"
    return sim_bench(Radio(kind=EZSP_SIM, ezsp_version=version), name)


def resolve_bench(arg: str | Path | None, *, check_files: bool = True) -> Bench:
    """`None` or "sim" is the built-in sim bench, "sim-ezsp[-vN]" its EZSP twin; anything else is a bench file."""
    text = str(arg) if arg is not None else SIM_BENCH
    if text == SIM_BENCH:
        return sim_bench()
    if text == SIM_EZSP_BENCH:
        return sim_ezsp_bench()
    if text.startswith(SIM_EZSP_BENCH + "-v") and text[len(SIM_EZSP_BENCH) + 2:].isdigit():
        version = int(text[len(SIM_EZSP_BENCH) + 2:])
        if version in SUPPORTED:
            return sim_ezsp_bench(version)
    return load_bench(arg, check_files=check_files)
