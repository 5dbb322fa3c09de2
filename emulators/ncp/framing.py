"""EZSP frame headers (UG100 "EZSP frame format"): the legacy header of v4 (sequence, frame control, frame id),
the extended header of v5-v7 (legacy frame id 0xFF, then a frame-control high byte and the real id) and the
v8+ header (two frame-control octets, the high one carrying frame format version 1, and a 16-bit frame id).

A host always sends its first `version` command in the legacy header; the NCP answers each command in the header
format the command used and sends callbacks in the format of the negotiated version.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError

LEGACY, EXTENDED, V8 = "legacy", "extended", "v8"
FC_RESPONSE = 0x80
FC_ASYNC_CALLBACK = 0x10
FC_HIGH_FORMAT_1 = 0x01
EXTENDED_MARKER = 0xFF


@dataclass(frozen=True)
class Header:
    sequence: int
    frame_control: int
    frame_id: int
    layout: str


def layout_for(version: int) -> str:
    return LEGACY if version < 5 else EXTENDED if version < 8 else V8


def decode(data: bytes) -> tuple[Header, bytes]:
    """Split a host's EZSP frame into its header and parameters; the layout is recognised from the header."""
    if len(data) < 3:
        raise InputError("EZSP frame shorter than a header", field="ezsp.header")
    seq, fc = data[0], data[1]
    if len(data) >= 5 and data[2] == FC_HIGH_FORMAT_1:
        return Header(seq, fc | data[2] << 8, int.from_bytes(data[3:5], "little"), V8), data[5:]
    if data[2] == EXTENDED_MARKER:
        if len(data) < 5:
            raise InputError("extended EZSP header cut short", field="ezsp.header")
        return Header(seq, fc | data[3] << 8, data[4], EXTENDED), data[5:]
    return Header(seq, fc, data[2], LEGACY), data[3:]


def encode(sequence: int, frame_id: int, layout: str, callback: bool = False) -> bytes:
    """The header of a response (or, with `callback`, an asynchronous callback) in `layout`."""
    fc = FC_RESPONSE | (FC_ASYNC_CALLBACK if callback else 0)
    if layout == LEGACY:
        if frame_id > 0xFF:
            raise ValueError(f"frame 0x{frame_id:04x} has no legacy id")
        return bytes([sequence, fc, frame_id])
    if layout == EXTENDED:
        return bytes([sequence, fc, EXTENDED_MARKER, 0x00, frame_id])
    return bytes([sequence, fc, FC_HIGH_FORMAT_1]) + frame_id.to_bytes(2, "little")
