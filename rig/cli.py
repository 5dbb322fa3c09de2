"""The `rig` command line. Sub-command groups live in `rig.commands.*` and load lazily.

Every usage error (a missing argument, a bad option value, an unknown command) prints one line,
``rig <command>: error: <what is wrong>``, and exits 2.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any

import click

# name -> "module:attribute" of a click command or group
SUBCOMMANDS: dict[str, str] = {
    "bench": "rig.commands.bench:bench",
    "firmware": "rig.commands.firmware:firmware",
    "zse": "rig.commands.zse:zse",
    "gbcs": "rig.commands.gbcs:gbcs",
    "smki": "rig.commands.smki:smki",
    "run": "rig.commands.run:run",
    "ncp": "rig.commands.ncp:ncp",
    "results": "rig.commands.results:results",
}


def one_line_error(exc: click.ClickException) -> str:
    """A click error as one line naming the command it came from."""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "rig"
    return f"{where}: error: {' '.join(exc.format_message().split())}"


class LazyGroup(click.Group):
    """A group whose sub-commands are imported only when used (keeps start-up fast), and whose errors are
    reported in one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            click.echo(one_line_error(exc), err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("rig: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group("rig", cls=LazyGroup)
@click.version_option(package_name="gb-han-rig")
def main() -> None:
    """Conformance rig for GB smart-metering HAN devices."""
