"""The UI of an emulated device: its board's keypad, display and supply switch, over the board link."""
from __future__ import annotations

from typing import Any, Protocol

from harness.ui.protocol import check_keys


class Caller(Protocol):
    """What the adapter needs of a board link: one request/response call."""

    def call(self, method: str, **params: Any) -> dict: ...


class BoardUi:
    """`link` is the role's board link (any object with `call`); `switch` names the supply output."""

    def __init__(self, role: str, link: Caller, switch: str | None = None):
        self.role = role
        self._link = link
        self._switch = switch or ("valve" if role == "gsme" else "relay")

    def press(self, keys: str) -> None:
        self._link.call("keypad.press", keys=check_keys(keys))

    def display(self) -> str:
        return str(self._link.call("display.get")["text"])

    def supply(self) -> bool:
        return bool(self._link.call(f"{self._switch}.get")["on"])
