"""ZCL OTA Upgrade cluster (0x0019) command payloads [S: ZCL OTA cluster, zigbee-se.md section 7].

Client -> server: QueryNextImageRequest (0x01), ImageBlockRequest (0x03), UpgradeEndRequest (0x06).
Server -> client: ImageNotify (0x00), QueryNextImageResponse (0x02), ImageBlockResponse (0x05, SUCCESS with data,
WAIT_FOR_DATA with a delay, or ABORT), UpgradeEndResponse (0x07). Integers little-endian. `decode` turns any of
them from a ZCL frame's (direction, command, payload) into its dataclass; malformed input is an InputError.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from harness.errors import InputError
from harness.zigbee import zcl
from harness.zigbee.reader import Reader, u16le, u32le

CLUSTER_ID = 0x0019
IMAGE_NOTIFY, QUERY_NEXT_IMAGE_REQUEST, QUERY_NEXT_IMAGE_RESPONSE = 0x00, 0x01, 0x02
IMAGE_BLOCK_REQUEST, IMAGE_BLOCK_RESPONSE = 0x03, 0x05
UPGRADE_END_REQUEST, UPGRADE_END_RESPONSE = 0x06, 0x07
SUCCESS, NOT_AUTHORIZED, MALFORMED_COMMAND, ABORT = 0x00, 0x7E, 0x80, 0x95
INVALID_IMAGE, WAIT_FOR_DATA, NO_IMAGE_AVAILABLE, REQUIRE_MORE_IMAGE = 0x96, 0x97, 0x98, 0x99
JITTER_ONLY, WITH_MANUFACTURER, WITH_IMAGE_TYPE, WITH_FILE_VERSION = 0, 1, 2, 3
UPGRADE_LATER = 0xFFFFFFFF  # UpgradeEndResponse upgrade time: wait for another UpgradeEndResponse


@dataclass(frozen=True)
class ImageNotify:
    payload_type: int = WITH_FILE_VERSION
    jitter: int = 100
    manufacturer: int | None = None
    image_type: int | None = None
    file_version: int | None = None


@dataclass(frozen=True)
class QueryNextImageRequest:
    manufacturer: int
    image_type: int
    file_version: int
    hardware_version: int | None = None


@dataclass(frozen=True)
class QueryNextImageResponse:
    status: int
    manufacturer: int = 0
    image_type: int = 0
    file_version: int = 0
    image_size: int = 0


@dataclass(frozen=True)
class ImageBlockRequest:
    manufacturer: int
    image_type: int
    file_version: int
    offset: int
    max_data_size: int
    request_node: int | None = None
    minimum_block_period: int | None = None


@dataclass(frozen=True)
class ImageBlockResponse:
    status: int
    manufacturer: int = 0
    image_type: int = 0
    file_version: int = 0
    offset: int = 0
    data: bytes = b""
    current_time: int = 0
    request_time: int = 0
    minimum_block_period: int = 0


@dataclass(frozen=True)
class UpgradeEndRequest:
    status: int
    manufacturer: int
    image_type: int
    file_version: int


@dataclass(frozen=True)
class UpgradeEndResponse:
    manufacturer: int
    image_type: int
    file_version: int
    current_time: int
    upgrade_time: int


Command = Union[ImageNotify, QueryNextImageRequest, QueryNextImageResponse, ImageBlockRequest, ImageBlockResponse,
                UpgradeEndRequest, UpgradeEndResponse]
_IDS = {ImageNotify: (IMAGE_NOTIFY, zcl.SERVER_TO_CLIENT),
        QueryNextImageRequest: (QUERY_NEXT_IMAGE_REQUEST, zcl.CLIENT_TO_SERVER),
        QueryNextImageResponse: (QUERY_NEXT_IMAGE_RESPONSE, zcl.SERVER_TO_CLIENT),
        ImageBlockRequest: (IMAGE_BLOCK_REQUEST, zcl.CLIENT_TO_SERVER),
        ImageBlockResponse: (IMAGE_BLOCK_RESPONSE, zcl.SERVER_TO_CLIENT),
        UpgradeEndRequest: (UPGRADE_END_REQUEST, zcl.CLIENT_TO_SERVER),
        UpgradeEndResponse: (UPGRADE_END_RESPONSE, zcl.SERVER_TO_CLIENT)}


def _image_id(c) -> bytes:
    return u16le(c.manufacturer) + u16le(c.image_type) + u32le(c.file_version)


def encode_payload(c: Command) -> bytes:
    if isinstance(c, ImageNotify):
        out = bytes([c.payload_type, c.jitter])
        if c.payload_type >= WITH_MANUFACTURER:
            out += u16le(c.manufacturer or 0)
        if c.payload_type >= WITH_IMAGE_TYPE:
            out += u16le(c.image_type or 0)
        if c.payload_type >= WITH_FILE_VERSION:
            out += u32le(c.file_version or 0)
        return out
    if isinstance(c, QueryNextImageRequest):
        hw = c.hardware_version is not None
        return bytes([int(hw)]) + _image_id(c) + (u16le(c.hardware_version) if hw else b"")
    if isinstance(c, QueryNextImageResponse):
        return bytes([c.status]) + (_image_id(c) + u32le(c.image_size) if c.status == SUCCESS else b"")
    if isinstance(c, ImageBlockRequest):
        fc = (c.request_node is not None) | ((c.minimum_block_period is not None) << 1)
        out = bytes([fc]) + _image_id(c) + u32le(c.offset) + bytes([c.max_data_size])
        if c.request_node is not None:
            out += c.request_node.to_bytes(8, "little")
        if c.minimum_block_period is not None:
            out += u16le(c.minimum_block_period)
        return out
    if isinstance(c, ImageBlockResponse):
        if c.status == SUCCESS:
            if len(c.data) > 0xFF:
                raise InputError("image block data is longer than 255 octets", field="data")
            return bytes([c.status]) + _image_id(c) + u32le(c.offset) + bytes([len(c.data)]) + c.data
        if c.status == WAIT_FOR_DATA:
            return bytes([c.status]) + u32le(c.current_time) + u32le(c.request_time) + u16le(c.minimum_block_period)
        return bytes([c.status])
    if isinstance(c, UpgradeEndRequest):
        return bytes([c.status]) + _image_id(c)
    if isinstance(c, UpgradeEndResponse):
        return _image_id(c) + u32le(c.current_time) + u32le(c.upgrade_time)
    raise TypeError(f"not an OTA command: {c!r}")


def encode(c: Command, tsn: int) -> bytes:
    """The ZCL frame (cluster-specific) carrying `c`."""
    command, direction = _IDS[type(c)]
    return zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, tsn, command, encode_payload(c), direction,
                                   disable_default_response=direction == zcl.SERVER_TO_CLIENT))


def _id(r: Reader) -> tuple[int, int, int]:
    return r.u16("manufacturer_code"), r.u16("image_type"), r.u32("file_version")


def decode_payload(direction: int, command: int, payload: bytes) -> Command:
    r = Reader(payload, "ZCL OTA")
    out: Command
    if direction == zcl.SERVER_TO_CLIENT and command == IMAGE_NOTIFY:
        kind, jitter = r.u8("payload_type"), r.u8("query_jitter")
        if kind > WITH_FILE_VERSION:
            raise r.fail(f"reserved payload type {kind}", "payload_type")
        mfr = r.u16("manufacturer_code") if kind >= WITH_MANUFACTURER else None
        itype = r.u16("image_type") if kind >= WITH_IMAGE_TYPE else None
        version = r.u32("file_version") if kind >= WITH_FILE_VERSION else None
        out = ImageNotify(kind, jitter, mfr, itype, version)
    elif direction == zcl.CLIENT_TO_SERVER and command == QUERY_NEXT_IMAGE_REQUEST:
        fc = r.u8("field_control")
        out = QueryNextImageRequest(*_id(r), r.u16("hardware_version") if fc & 1 else None)
    elif direction == zcl.SERVER_TO_CLIENT and command == QUERY_NEXT_IMAGE_RESPONSE:
        status = r.u8("status")
        out = QueryNextImageResponse(status, *_id(r), r.u32("image_size")) if status == SUCCESS \
            else QueryNextImageResponse(status)
    elif direction == zcl.CLIENT_TO_SERVER and command == IMAGE_BLOCK_REQUEST:
        fc = r.u8("field_control")
        ids, offset, size = _id(r), r.u32("file_offset"), r.u8("maximum_data_size")
        node = r.eui64("request_node_address") if fc & 1 else None
        period = r.u16("minimum_block_period") if fc & 2 else None
        out = ImageBlockRequest(*ids, offset, size, node, period)
    elif direction == zcl.SERVER_TO_CLIENT and command == IMAGE_BLOCK_RESPONSE:
        status = r.u8("status")
        if status == SUCCESS:
            ids, offset = _id(r), r.u32("file_offset")
            out = ImageBlockResponse(status, *ids, offset, r.take(r.u8("data_size"), "image_data"))
        elif status == WAIT_FOR_DATA:
            out = ImageBlockResponse(status, current_time=r.u32("current_time"), request_time=r.u32("request_time"),
                                     minimum_block_period=r.u16("minimum_block_period"))
        else:
            out = ImageBlockResponse(status)
    elif direction == zcl.CLIENT_TO_SERVER and command == UPGRADE_END_REQUEST:
        out = UpgradeEndRequest(r.u8("status"), *_id(r))
    elif direction == zcl.SERVER_TO_CLIENT and command == UPGRADE_END_RESPONSE:
        out = UpgradeEndResponse(*_id(r), r.u32("current_time"), r.u32("upgrade_time"))
    else:
        raise InputError(f"ZCL OTA: command 0x{command:02X} is not one the rig handles in this direction",
                         field="command_id")
    r.end("trailing")
    return out


def decode(frame: bytes) -> tuple[int, Command]:
    """(tsn, command) of a cluster-specific OTA ZCL frame."""
    f = zcl.decode(frame)
    if f.frame_type != zcl.CLUSTER_SPECIFIC:
        raise InputError("ZCL OTA: not a cluster-specific command", field="frame_control.frame_type")
    return f.tsn, decode_payload(f.direction, f.command, f.payload)
