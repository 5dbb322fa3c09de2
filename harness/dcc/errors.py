"""Why the DCC core refuses a message, and the errors it raises."""
from __future__ import annotations

import enum

from harness.errors import BenchFault, InputError


class Reason(enum.Enum):
    """The fixed set of reasons a received response or alert is refused."""

    BAD_MAC = "bad MAC"
    BAD_SIGNATURE = "bad signature"
    UNKNOWN_ORIGINATOR = "unknown originator"
    REPLAYED_COUNTER = "replayed counter"
    WRONG_RECIPIENT = "wrong recipient"
    UNMATCHED = "no outstanding command"
    MALFORMED = "malformed"


class Rejected(InputError):
    """A received message is refused; ``reason`` names why."""

    def __init__(self, reason: Reason, message: str, *, field: str | None = None, offset: int | None = None):
        self.reason = reason
        super().__init__(f"{reason.value}: {message}", field=field, offset=offset)


class MissingKey(BenchFault):
    """The bench keystore lacks a key one of the rig's own parties needs (a bench set-up fault)."""


class CounterStoreError(BenchFault):
    """The persisted counter file is unreadable or corrupt: the rig refuses to guess a counter."""
