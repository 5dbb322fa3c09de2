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


# ---- global commands: Read Attributes (0x00) and its response (0x01) --------------------------------------------
READ_ATTRIBUTES, READ_ATTRIBUTES_RESPONSE = 0x00, 0x01
STATUS_SUCCESS, STATUS_UNSUPPORTED_ATTRIBUTE = 0x00, 0x86
ENUM16 = 0x31
# Fixed-length ZCL data types the rig reads: type id -> octets.
FIXED_TYPES = {0x08: 1, 0x09: 2, 0x10: 1, 0x18: 1, 0x19: 2, 0x1B: 4, 0x20: 1, 0x21: 2, 0x22: 3, 0x23: 4, 0x25: 6,
               0x30: 1, 0x31: 2}


def read_attributes(tsn: int, attributes: list[int], *, direction: int = CLIENT_TO_SERVER) -> bytes:
    return encode(ZclFrame(GLOBAL, tsn, READ_ATTRIBUTES, b"".join(u16le(a) for a in attributes), direction))


def read_attribute_ids(payload: bytes) -> list[int]:
    r = Reader(payload, "ZCL Read Attributes")
    if r.remaining() % 2:
        raise r.fail("attribute list has an odd length", "attribute_id")
    return [r.u16("attribute_id") for _ in range(r.remaining() // 2)]


def read_attributes_response(tsn: int, records: list[tuple[int, int, int | None, bytes]], *,
                             direction: int = SERVER_TO_CLIENT) -> bytes:
    """`records`: (attribute id, status, data type or None, encoded value)."""
    body = b""
    for attr, status, dtype, value in records:
        body += u16le(attr) + bytes([status])
        if status == STATUS_SUCCESS:
            body += bytes([dtype]) + value
    return encode(ZclFrame(GLOBAL, tsn, READ_ATTRIBUTES_RESPONSE, body, direction, disable_default_response=True))


def parse_read_attributes_response(payload: bytes) -> dict[int, tuple[int, int | None, bytes]]:
    """{attribute id: (status, data type, value bytes)} for fixed-length data types."""
    r = Reader(payload, "ZCL Read Attributes Response")
    out: dict[int, tuple[int, int | None, bytes]] = {}
    while r.remaining():
        attr, status = r.u16("attribute_id"), r.u8("status")
        if status != STATUS_SUCCESS:
            out[attr] = (status, None, b"")
            continue
        dtype = r.u8("data_type")
        if dtype not in FIXED_TYPES:
            raise r.fail(f"data type 0x{dtype:02X} is not a fixed-length type the rig reads", "data_type")
        out[attr] = (status, dtype, r.take(FIXED_TYPES[dtype], "value"))
    return out
