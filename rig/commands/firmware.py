"""`rig firmware`: put this checkout's board firmware on a bench's boards."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from firmware.version import FIRMWARE_VERSION
from harness.errors import RigError
from rig.bench.benchfile import BenchFileError
from rig.bench.builtin import resolve_bench
from rig.bench.model import ROLES, Bench, Emulator
from rig.bench.runtime import make_board, role_config
from rig.boards.deploy import connect_checked, deploy as deploy_board
from rig.commands.firmware_image import image
from rig.signals import Interrupted, stop_on_signals


@click.group()
def firmware() -> None:
    """Board firmware."""


firmware.add_command(image)


@firmware.command("deploy")
@click.argument("bench_file", metavar="[BENCH]", required=False)
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES),
              help="Only this role (repeatable); default: every emulated role.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Flash folders of simulated boards (default: a temporary folder).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True,
              help="Seconds to wait for the hello.")
def deploy(bench_file: str | None, roles: tuple[str, ...], workdir: Path | None, timeout: float) -> None:
    """Copy the firmware to each board of BENCH with mpremote (unchanged files are skipped), soft-reset,
    and check the firmware version in the board's hello. Exits 1 if any board fails."""
    try:
        bench = resolve_bench(bench_file)
    except BenchFileError as e:
        click.echo(f"bench file error: {e}", err=True)
        sys.exit(2)
    emulators = bench.emulators()
    missing = [r for r in roles if r not in emulators]
    if missing:
        click.echo(f"bench {bench.name} has no emulated role {', '.join(missing)} "
                   f"(emulated roles: {', '.join(emulators) or 'none'})", err=True)
        sys.exit(2)
    chosen = {name: emulators[name] for name in (roles or emulators)}
    try:
        with stop_on_signals():
            failed = _deploy_all(bench, chosen, workdir, timeout)
    except Interrupted as stop:
        click.echo(f"firmware deploy interrupted ({stop})", err=True)
        sys.exit(130)
    if failed:
        click.echo(f"deploy failed for: {', '.join(failed)}", err=True)
        sys.exit(1)
    click.echo(f"deployed to {len(chosen)} board(s)")


def _deploy_all(bench: Bench, chosen: dict[str, Emulator], workdir: Path | None, timeout: float) -> list[str]:
    """Deploy to each chosen role's board in turn; the roles whose deploy failed."""
    failed = []
    with tempfile.TemporaryDirectory(prefix="rig-firmware-") as scratch:
        base = workdir if workdir is not None else Path(scratch)
        for name, role in chosen.items():
            board = make_board(role, base)
            click.echo(f"{name}: deploying firmware {FIRMWARE_VERSION} to {role.board}")
            try:
                board.start()
                click.echo(f"{name}: board on {board.port}")
                deploy_board(board.port, role_config(bench, role), baud=role.baud,
                             progress=click.echo, name=name)
                link = connect_checked(board.port, name, baud=role.baud, timeout=timeout)
                hello = link.hello
                link.close()
                click.echo(f"{name}: hello: firmware {hello.fw}, role {hello.role}, board {hello.board_id}, "
                           f"state {hello.state}")
            except RigError as e:
                failed.append(name)
                click.echo(f"{name}: FAILED: {e}", err=True)
            finally:
                board.stop()
    return failed
