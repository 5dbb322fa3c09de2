"""`rig bench`: check a bench (the built-in `sim` bench or a TOML bench file)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from rig.bench.benchfile import BenchFileError
from rig.bench.builtin import resolve_bench
from rig.bench.probe import RoleStatus, probe_bench
from rig.bench.runtime import sim_unavailable
from rig.signals import Interrupted, stop_on_signals

COLUMNS = ("role", "kind", "port", "firmware", "radio", "state")


@click.group()
def bench() -> None:
    """Bench files and bench health."""


@bench.command("check")
@click.argument("bench_file", metavar="[BENCH]", required=False)
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where simulated boards keep their flash and logs (default: a temporary folder).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True,
              help="Seconds each board may take to answer (a hard deadline per probe).")
def check(bench_file: str | None, workdir: Path | None, timeout: float) -> None:
    """Validate BENCH (a bench file, or `sim`, the default), then probe every board and radio.

    Prints one row per role; exits 1 when any role is not ready (or this host cannot run simulated boards),
    2 when the bench file is wrong."""
    try:
        bench_model = resolve_bench(bench_file)
    except BenchFileError as e:
        click.echo(f"bench file error: {e}", err=True)
        sys.exit(2)
    reason = sim_unavailable(bench_model)
    if reason:
        click.echo(f"bench {bench_model.name}: not ready: {reason}", err=True)
        sys.exit(1)
    click.echo(f"bench {bench_model.name}: {len(bench_model.roles)} roles, {len(bench_model.sniffers)} sniffers")
    try:
        with stop_on_signals():
            rows = probe_bench(bench_model, workdir, timeout=timeout)
    except Interrupted as stop:
        click.echo(f"bench check interrupted ({stop})", err=True)
        sys.exit(130)
    click.echo(format_table(rows))
    not_ready = [row.role for row in rows if not row.ready]
    if not_ready:
        click.echo(f"not ready: {', '.join(not_ready)}", err=True)
        sys.exit(1)
    click.echo("all roles ready")


def format_table(rows: list[RoleStatus]) -> str:
    """Rows as an aligned text table with a header."""
    cells = [COLUMNS] + [(r.role, r.kind, r.port, r.firmware, r.radio, r.state) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells)
