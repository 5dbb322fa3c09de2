"""ZCL frame header (frame control, optional manufacturer code, sequence number, command id) + payload."""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zigbee.reader import Reader, u16le

GLOBAL, CLUSTER_SPECIFIC = 0, 1
CLIENT_TO_SERVER, SERVER_TO_CLIENT = 0, 1


@dataclass
class ZclFrame:
    frame_type: int
    tsn: int
    command: int
    payload: bytes = b""
    direction: int = CLIENT_TO_SERVER
    disable_default_response: bool = False
    manufacturer: int | None = None


def encode(f: ZclFrame) -> bytes:
    fc = (f.frame_type & 3) | ((f.manufacturer is not None) << 2) | ((f.direction & 1) << 3) \
        | (f.disable_default_response << 4)
    head = bytes([fc]) + (u16le(f.manufacturer) if f.manufacturer is not None else b"")
    return head + bytes([f.tsn & 0xFF, f.command & 0xFF]) + f.payload


def decode(data: bytes, base: int = 0) -> ZclFrame:
    r = Reader(data, "ZCL", base)
    fc = r.u8("frame_control")
    if fc & 3 > 1:
        raise InputError(f"ZCL: reserved frame type {fc & 3}", field="frame_control.frame_type", offset=base)
    manufacturer = r.u16("manufacturer") if fc & 4 else None
    return ZclFrame(frame_type=fc & 3, tsn=r.u8("tsn"), command=r.u8("command_id"), payload=r.rest(),
                    direction=(fc >> 3) & 1, disable_default_response=bool(fc & 0x10), manufacturer=manufacturer)
