"""Typed errors of the host side of the board link."""
from __future__ import annotations

from harness.errors import BenchFault, BoardLost


class HelloMismatch(BenchFault):
    """The board's hello does not match what the rig expects (protocol version, role)."""

    def __init__(self, field: str, expected: object, got: object, where: str):
        self.field = field
        self.expected = expected
        self.got = got
        super().__init__(f"{where}: hello {field}: expected {expected!r}, got {got!r}")


class LinkTimeout(BoardLost):
    """The board did not answer a request in time."""


class BoardError(BenchFault):
    """The board answered a request with an error (`code` as sent by the firmware)."""

    def __init__(self, method: str, code: str, message: str):
        self.method = method
        self.code = code
        super().__init__(f"board refused {method!r}: {code}: {message}")
