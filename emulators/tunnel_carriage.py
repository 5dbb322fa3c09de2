"""What both ends of a GB-HGRP tunnel share: GBT for messages longer than one transfer, and reassembly.

A GBCS message that fits the partner's maximum incoming transfer size travels as one TransferData; a longer one
travels as GBT blocks (gbcs.md 1.7), one per TransferData, and the receiver concatenates them (han-transport.md 3).
A block is recognised by its general-ciphering header with non-empty routing fields (second octet 0x09); a whole
message's MAC header has empty fields (second octet 0x00), a bare general-signing APDU starts with 0xDF.
"""
from __future__ import annotations

from harness.errors import InputError
from harness.gbcs import gbt
from harness.gbcs.apdu import Message
from harness.gbcs.errors import GbtError
from harness.zigbee import tunnel

GBT_OVERHEAD = 64      # octets a GBT block adds around its data (routing + security + GBT headers, rounded up)
REASSEMBLY_LIMIT = 8   # partial messages kept per sender; the oldest is dropped beyond it


def routing_of(data: bytes) -> tuple[bytes | None, int | None]:
    """(recipient EUI-64, message code) of a GBCS message; (None, None) when it does not parse."""
    try:
        header = Message.decode(data).grouping
    except InputError:
        return None, None
    return header.recipient, header.message_code


def is_block(data: bytes) -> bool:
    return len(data) > 2 and data[0] == 0xDD and data[1] == 0x09


def units(message: bytes, max_transfer: int = tunnel.MAX_TRANSFER) -> list[bytes]:
    """The TransferData payloads carrying `message`: itself when it fits, else its GBT blocks in order."""
    if len(message) <= max_transfer:
        return [message]
    return [block.encode() for block in gbt.split(message, max_transfer - GBT_OVERHEAD)]


class Inbound:
    """Whole messages out of received units: a plain message passes through; blocks wait for their siblings."""

    def __init__(self) -> None:
        self._partial: dict[tuple, gbt.Reassembler] = {}
        self.errors: list[str] = []

    def add(self, data: bytes) -> bytes | None:
        """The complete message `data` finishes, or None while blocks are missing (or the block was bad)."""
        if not is_block(data):
            return data
        try:
            block = gbt.GbtBlock.decode(data)
            key = block.routing()
            if key not in self._partial and len(self._partial) >= REASSEMBLY_LIMIT:
                self._partial.pop(next(iter(self._partial)))
            assembler = self._partial.setdefault(key, gbt.Reassembler())
            assembler.add(block)
            if not assembler.complete:
                return None
            del self._partial[key]
            return assembler.message()
        except GbtError as exc:
            self.errors.append(str(exc))
            return None

    def missing(self) -> dict[tuple, list[int]]:
        """Blocks still awaited, per message routing header."""
        return {key: r.missing() for key, r in self._partial.items()}
