"""The UI adapter interface: what a test may do with a device's human interface, and nothing more.

`press(keys)` types on the keypad (digits, '*' clears, '#' submits, the buttons A-D), `display()` is the text the display shows
now, `supply()` is whether the supply relay (ESME) or valve (GSME) is closed/open, i.e. the supply is on.
Implementations: `harness.ui.board.BoardUi` (an emulated board, over its board link) and
`harness.ui.operator.OperatorUi` (a real device: the rig asks the engineer at the bench), side by side; a vendor
may add one as an entry point in the group `ENTRY_POINT_GROUP` (a callable taking the role name).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

ENTRY_POINT_GROUP = "gb_han_rig.ui"
KEYS = "0123456789*#ABCD"  # a GB meter's keypad: digits, * clears, # submits, buttons A-D


@runtime_checkable
class UiAdapter(Protocol):
    role: str

    def press(self, keys: str) -> None:
        """Press `keys` on the device's keypad, in order."""

    def display(self) -> str:
        """What the device's display shows now."""

    def supply(self) -> bool:
        """True when the supply is on (relay closed, valve open)."""


def check_keys(keys: str) -> str:
    """`keys` when every one is a keypad key; ValueError naming the first that is not."""
    for key in keys:
        if key not in KEYS:
            raise ValueError(f"{key!r} is not a keypad key ({KEYS})")
    return keys
