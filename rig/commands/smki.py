"""`rig smki`: mint a bench SMKI (CA chain, remote-party and device certificates and keys)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from harness.errors import InputError
from harness.smki.mint import mint
from harness.smki.roles import DEFAULT_DEVICES


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, eui = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=EUI, got {item!r}", param_hint=option)
        out[name.strip().lower()] = eui.strip()
    return out


@click.group()
def smki() -> None:
    """Bench SMKI: private certificates for the rig's remote parties and devices."""


@smki.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--device", "devices", multiple=True, metavar="ROLE=EUI",
              help=f"a device to certify (repeatable; default: {', '.join(f'{k}={v}' for k, v in DEFAULT_DEVICES.items())})")
@click.option("--party", "parties", multiple=True, metavar="NAME=EUI",
              help="override a remote party's EUI (supplier, acb, network_operator, ...)")
@click.option("--force", is_flag=True, help="write into a directory that already holds files")
@click.option("--json", "as_json", is_flag=True, help="print what was minted as JSON")
def init(directory: Path, devices: tuple[str, ...], parties: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Create a bench SMKI in DIRECTORY, in the RTDS keystore layout."""
    if directory.exists() and any(directory.iterdir()) and not force:
        raise click.UsageError(f"{directory} is not empty (use --force to overwrite)")
    try:
        minted = mint(directory, _pairs(devices, "--device") if devices else None, _pairs(parties, "--party"))
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    summary = {"directory": str(directory),
               "parties": {n: {"role": r.ou, "eui": e} for n, (r, e) in minted.parties.items()},
               "devices": minted.devices}
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(f"bench SMKI written to {directory}")
    for name, (role, eui) in minted.parties.items():
        click.echo(f"  {name:18} role {role.ou}  {eui}")
    for name, eui in minted.devices.items():
        click.echo(f"  {name:18} device   {eui}")
