"""What the rig asks of a MicroPython board, real or simulated."""
from __future__ import annotations

from typing import Protocol


class Board(Protocol):
    """A MicroPython board reachable on a pyserial URL.

    `port` is what pyserial and mpremote open. `start` makes the board ready to be deployed to and spoken to;
    `stop` releases it. `power_cycle` cuts and restores power: flash persists, RAM state is lost.
    """

    name: str

    @property
    def port(self) -> str:
        """The pyserial URL of the board's USB serial (REPL) port."""

    def start(self) -> None:
        """Make the board reachable (a simulated board boots; a real one is checked to be present)."""

    def stop(self) -> None:
        """Release the board (a simulated board's process ends)."""

    def power_cycle(self) -> None:
        """Power off and on again: boot.py and main.py run from a fresh interpreter."""

    def alive(self) -> bool:
        """Whether the board's port is present and the board is powered."""
