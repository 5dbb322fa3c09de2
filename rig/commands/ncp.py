"""`rig ncp serve`: an emulated EmberZNet NCP on a pseudo-terminal, for any EZSP host (bellows' command line,
zigpy applications) to use like a dongle. Its radio is alone on a simulated medium whose virtual clock follows wall
time; `--pcap` writes what it transmits."""
from __future__ import annotations

import signal
import time
from pathlib import Path

import click

from emulators.medium.medium import Medium
from emulators.ncp.commands import NEWEST, SUPPORTED
from emulators.ncp.server import PtyNcps
from harness.capture.capture import Capture
from rig.clock import VirtualClock

DEFAULT_EUI = 0x000D6F00000A0B0C


def _eui(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    text = value.replace(":", "").replace("-", "")
    try:
        eui = int(text, 16)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not hexadecimal") from None
    if len(text) != 16:
        raise click.BadParameter(f"{value!r} is not 8 octets (16 hex digits)")
    return eui


def _interrupt(*_args: object) -> None:
    raise KeyboardInterrupt


@click.group()
def ncp() -> None:
    """Emulated EmberZNet NCPs."""


@ncp.command()
@click.option("--ezsp", "version", type=click.Choice([str(v) for v in SUPPORTED]), default=str(NEWEST),
              show_default=True, help="EZSP protocol version the NCP speaks.")
@click.option("--eui", default=f"{DEFAULT_EUI:016X}", show_default=True, callback=_eui,
              help="The NCP's EUI-64 (hex).")
@click.option("--channel", type=click.IntRange(11, 26), default=11, show_default=True,
              help="Radio channel before any network is formed or joined.")
@click.option("--pcap", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the frames the NCP transmits (and hears) to this pcap file.")
def serve(version: str, eui: int, channel: int, pcap: Path | None) -> None:
    """Serve one emulated NCP on a pty until interrupted; prints the pty path to open."""
    capture = Capture(pcap) if pcap else None
    served = PtyNcps(Medium(VirtualClock(), seed=1, capture=capture))
    _, port = served.add(eui, version=int(version), channel=channel)
    served.start()
    click.echo(port)
    click.echo(f"EZSP v{version} NCP, EUI-64 {eui:016X}, channel {channel}; Ctrl-C to stop", err=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        served.close()
        if capture is not None:
            capture.close()
