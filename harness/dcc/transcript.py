"""The GBCS transcript of a run: every message the DCC core sends or receives, one line each.

A line gives the virtual time, the direction, the sender and recipient EUI-64s, the message code and its use-case
name, what the message was to the DCC, and the full message in hex, so an engineer (or an independent checker)
can re-verify it with the bench keystore under the run's `bench/` folder.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.gbcs.apdu import Message
from harness.gbcs.usecases import use_case


@dataclass
class TranscriptEntry:
    time: float
    direction: str  # "to-device" / "from-device" (WAN), "to-user" / "from-user" (local delivery)
    what: str
    data: bytes

    def routing(self) -> tuple[str, str, str]:
        """(sender, recipient, "code name") read from the message, or "?" where it does not parse."""
        try:
            header = Message.decode(self.data).grouping
        except InputError:
            return "?", "?", "?"
        code = header.message_code
        return (header.originator.hex().upper(), header.recipient.hex().upper(),
                f"{code:04X} {use_case(code) or 'unknown-use-case'}")

    def line(self) -> str:
        sender, recipient, code = self.routing()
        return (f"{self.time:.3f} {self.direction} {sender} -> {recipient} {code} [{self.what}] "
                f"{self.data.hex().upper()}")
