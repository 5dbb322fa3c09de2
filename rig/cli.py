"""The `rig` command line. Sub-command groups live in `rig.commands.*` and load lazily."""
from __future__ import annotations

import importlib

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
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported only when used (keeps start-up fast)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
@click.version_option(package_name="gb-han-rig")
def main() -> None:
    """Conformance rig for GB smart-metering HAN devices."""
