"""ZSE Tunneling cluster (0x0704) as GBCS 10.2.2 uses it to carry Remote Party Messages over the HAN.

Client (the tunnel's requester) -> server: 0x00 RequestTunnel {protocol u8, manufacturer u16, flow control bool,
max incoming transfer size u16}, 0x01 CloseTunnel {tunnel id u16}, 0x02 TransferData {tunnel id u16, data}.
Server -> client: 0x00 RequestTunnelResponse {tunnel id u16, status u8, max incoming transfer size u16},
0x01 TransferData {tunnel id u16, data}, 0x06 TunnelClosureNotification {tunnel id u16}. Either way 0x02/0x03
is TransferDataError {tunnel id u16, status u8}. GB-HGRP: protocol 6, manufacturer 0xFFFF, no flow control,
1500-octet transfers (han-transport.md 1).

The sleepy GSME pulls its queued messages through its tunnel with a one-octet header on the data (han-transport.md
2): 0x01 GET, 0x02 GET_RESPONSE (+ the message, or nothing when the queue is empty), 0x03 PUT (+ a message from the
GSME). [R: the reference CH code; the octet values are not confirmed against GBCS text.]
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zigbee import zcl
from harness.zigbee.reader import Reader, u16le

CLUSTER = 0x0704
PROFILE_SE = 0x0109
GB_HGRP = 6
NO_MANUFACTURER = 0xFFFF
MAX_TRANSFER = 1500
# client -> server commands
REQUEST_TUNNEL, CLOSE_TUNNEL, TRANSFER_DATA_C, TRANSFER_DATA_ERROR_C = 0x00, 0x01, 0x02, 0x03
# server -> client commands
REQUEST_TUNNEL_RESPONSE, TRANSFER_DATA_S, TRANSFER_DATA_ERROR_S, CLOSURE_NOTIFICATION = 0x00, 0x01, 0x02, 0x06
# RequestTunnelResponse status
SUCCESS, BUSY, NO_MORE_TUNNEL_IDS, PROTOCOL_NOT_SUPPORTED, FLOW_CONTROL_NOT_SUPPORTED = 0, 1, 2, 3, 4
# TransferDataError status
NO_SUCH_TUNNEL, WRONG_DEVICE, DATA_OVERFLOW = 0, 1, 2
# sleepy-device queue header (first octet of the tunnelled data)
GET, GET_RESPONSE, PUT = 0x01, 0x02, 0x03
# The message-pending flag the CH sets on the GSME's mirror: Metering cluster, Functional Notification Flags.
# [I] SE 1.2+ puts FunctionalNotificationFlags (0x0000) in the Metering client's notification attribute set; the
# bit is the rig's choice until a CH trace pins it down (the GB reference code sets a "message pending" bit).
METERING_CLUSTER = 0x0702
ATTR_NOTIFICATION_FLAGS = 0x0000
FLAG_MESSAGE_PENDING = 1 << 3


@dataclass(frozen=True)
class RequestTunnel:
    protocol: int = GB_HGRP
    manufacturer: int = NO_MANUFACTURER
    flow_control: bool = False
    max_transfer: int = MAX_TRANSFER


@dataclass(frozen=True)
class RequestTunnelResponse:
    tunnel_id: int
    status: int
    max_transfer: int = MAX_TRANSFER


@dataclass(frozen=True)
class CloseTunnel:
    tunnel_id: int


@dataclass(frozen=True)
class TransferData:
    tunnel_id: int
    data: bytes
    to_server: bool


@dataclass(frozen=True)
class TransferDataError:
    tunnel_id: int
    status: int
    to_server: bool


@dataclass(frozen=True)
class ClosureNotification:
    tunnel_id: int


Command = RequestTunnel | RequestTunnelResponse | CloseTunnel | TransferData | TransferDataError | ClosureNotification


def encode(tsn: int, command: Command) -> bytes:
    """The ZCL frame (cluster-specific, right direction, default response disabled) carrying `command`."""
    if isinstance(command, RequestTunnel):
        cid, to_server = REQUEST_TUNNEL, True
        body = bytes([command.protocol]) + u16le(command.manufacturer) + bytes([int(command.flow_control)]) \
            + u16le(command.max_transfer)
    elif isinstance(command, RequestTunnelResponse):
        cid, to_server = REQUEST_TUNNEL_RESPONSE, False
        body = u16le(command.tunnel_id) + bytes([command.status]) + u16le(command.max_transfer)
    elif isinstance(command, CloseTunnel):
        cid, to_server, body = CLOSE_TUNNEL, True, u16le(command.tunnel_id)
    elif isinstance(command, TransferData):
        cid = TRANSFER_DATA_C if command.to_server else TRANSFER_DATA_S
        to_server, body = command.to_server, u16le(command.tunnel_id) + bytes(command.data)
    elif isinstance(command, TransferDataError):
        cid = TRANSFER_DATA_ERROR_C if command.to_server else TRANSFER_DATA_ERROR_S
        to_server, body = command.to_server, u16le(command.tunnel_id) + bytes([command.status])
    elif isinstance(command, ClosureNotification):
        cid, to_server, body = CLOSURE_NOTIFICATION, False, u16le(command.tunnel_id)
    else:
        raise TypeError(f"not a Tunneling command: {command!r}")
    direction = zcl.CLIENT_TO_SERVER if to_server else zcl.SERVER_TO_CLIENT
    return zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, tsn, cid, body, direction, disable_default_response=True))


def decode(frame: bytes) -> tuple[int, Command]:
    """(tsn, command) of a Tunneling cluster frame; InputError for anything else or a malformed one."""
    f = zcl.decode(frame)
    if f.frame_type != zcl.CLUSTER_SPECIFIC:
        raise InputError("Tunneling: not a cluster-specific command", field="zcl.frame_control")
    r = Reader(f.payload, "Tunneling")
    to_server = f.direction == zcl.CLIENT_TO_SERVER
    if to_server and f.command == REQUEST_TUNNEL:
        out: Command = RequestTunnel(r.u8("protocol_id"), r.u16("manufacturer_code"), bool(r.u8("flow_control")),
                                     r.u16("max_incoming_transfer_size"))
    elif not to_server and f.command == REQUEST_TUNNEL_RESPONSE:
        out = RequestTunnelResponse(r.u16("tunnel_id"), r.u8("tunnel_status"), r.u16("max_incoming_transfer_size"))
    elif to_server and f.command == CLOSE_TUNNEL:
        out = CloseTunnel(r.u16("tunnel_id"))
    elif (to_server and f.command == TRANSFER_DATA_C) or (not to_server and f.command == TRANSFER_DATA_S):
        return f.tsn, TransferData(r.u16("tunnel_id"), r.rest(), to_server)
    elif (to_server and f.command == TRANSFER_DATA_ERROR_C) or (not to_server and f.command == TRANSFER_DATA_ERROR_S):
        out = TransferDataError(r.u16("tunnel_id"), r.u8("status"), to_server)
    elif not to_server and f.command == CLOSURE_NOTIFICATION:
        out = ClosureNotification(r.u16("tunnel_id"))
    else:
        raise InputError(f"Tunneling: command 0x{f.command:02X} is not handled in this direction",
                         field="zcl.command")
    r.end("payload")
    return f.tsn, out


def queue_header(kind: int, message: bytes = b"") -> bytes:
    """Tunnelled data of the sleepy-device queue: GET, GET_RESPONSE (+ message or empty) or PUT (+ message)."""
    if kind not in (GET, GET_RESPONSE, PUT):
        raise ValueError(f"queue header 0x{kind:02X} is not GET, GET_RESPONSE or PUT")
    if kind == GET and message:
        raise ValueError("a GET carries no message")
    return bytes([kind]) + bytes(message)


def parse_queue(data: bytes) -> tuple[int, bytes]:
    """(header, message) of sleepy-device queue data; InputError when the header is not GET/GET_RESPONSE/PUT."""
    if not data:
        raise InputError("queue data is empty (no GET/GET_RESPONSE/PUT header)", field="queue.header", offset=0)
    if data[0] not in (GET, GET_RESPONSE, PUT):
        raise InputError(f"queue header 0x{data[0]:02X} is not GET, GET_RESPONSE or PUT", field="queue.header",
                         offset=0)
    if data[0] == GET and len(data) > 1:
        raise InputError("a GET carries no message", field="queue.message", offset=1)
    return data[0], bytes(data[1:])
