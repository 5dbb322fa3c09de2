"""The GSME's mirror on the CH (BAD 7.2.1.6.7; han-transport.md 2): ZSE Metering cluster (0x0702) commands.

The GSME (the Metering server) asks the CH for a mirror after CBKE with RequestMirror (server -> client 0x01, no
payload); the CH answers RequestMirrorResponse (client -> server 0x01, {endpoint u16}, 0xFFFF = no mirror); the GSME
configures it with ConfigureMirror (server -> client 0x08, {issuer event id u32, reporting interval u24 (s), mirror
notification reporting bool, notification scheme u8}) and keeps it current with ZCL Report Attributes (global 0x0A,
server -> client, to the mirror's endpoint). Command ids and fields as ZSE 1.x and zigpy's smartenergy Metering
cluster define them. [I] The attributes a GB gas mirror carries for GCS13a: CurrentSummationDelivered 0x0000
(uint48), UnitOfMeasure 0x0300 (enum8), Multiplier 0x0301 and Divisor 0x0302 (uint24).
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zigbee import zcl
from harness.zigbee.reader import Reader, u16le

CLUSTER = 0x0702
REQUEST_MIRROR = 0x01           # server -> client
CONFIGURE_MIRROR = 0x08         # server -> client
REQUEST_MIRROR_RESPONSE = 0x01  # client -> server
REPORT_ATTRIBUTES = 0x0A        # global
NO_MIRROR = 0xFFFF
KWH = 0x00  # UnitOfMeasure: kWh
SUMMATION, UNIT, MULTIPLIER, DIVISOR = 0x0000, 0x0300, 0x0301, 0x0302
TYPES = {SUMMATION: 0x25, UNIT: 0x30, MULTIPLIER: 0x22, DIVISOR: 0x22}  # attribute -> ZCL data type


@dataclass(frozen=True)
class RequestMirror:
    pass


@dataclass(frozen=True)
class RequestMirrorResponse:
    endpoint: int


@dataclass(frozen=True)
class ConfigureMirror:
    issuer_event_id: int
    reporting_interval: int
    notification_reporting: bool
    notification_scheme: int


@dataclass(frozen=True)
class Report:
    """A Report Attributes to the mirror: {attribute id: value} (fixed-length types only)."""

    values: dict[int, int]


Command = RequestMirror | RequestMirrorResponse | ConfigureMirror | Report


def encode(tsn: int, command: Command) -> bytes:
    """The ZCL frame carrying `command` (default response disabled)."""
    if isinstance(command, RequestMirror):
        frame = zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, tsn, REQUEST_MIRROR, b"", zcl.SERVER_TO_CLIENT)
    elif isinstance(command, RequestMirrorResponse):
        frame = zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, tsn, REQUEST_MIRROR_RESPONSE, u16le(command.endpoint))
    elif isinstance(command, ConfigureMirror):
        body = command.issuer_event_id.to_bytes(4, "little") + command.reporting_interval.to_bytes(3, "little") \
            + bytes([int(command.notification_reporting), command.notification_scheme])
        frame = zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, tsn, CONFIGURE_MIRROR, body, zcl.SERVER_TO_CLIENT)
    elif isinstance(command, Report):
        body = b""
        for attr, value in command.values.items():
            dtype = TYPES[attr]
            body += u16le(attr) + bytes([dtype]) + value.to_bytes(zcl.FIXED_TYPES[dtype], "little")
        frame = zcl.ZclFrame(zcl.GLOBAL, tsn, REPORT_ATTRIBUTES, body, zcl.SERVER_TO_CLIENT)
    else:
        raise TypeError(f"not a mirror command: {command!r}")
    frame.disable_default_response = True
    return zcl.encode(frame)


def decode(data: bytes) -> tuple[int, Command]:
    """(tsn, command) of a mirror frame on the Metering cluster; InputError for anything else or a malformed one."""
    f = zcl.decode(data)
    return f.tsn, decode_payload(f.frame_type, f.direction, f.command, f.payload)


def decode_payload(frame_type: int, direction: int, command: int, payload: bytes) -> Command:
    """The mirror command a ZCL header's fields and payload carry (as a capture dissects them); InputError else."""
    r = Reader(payload, "Metering mirror")
    to_client = direction == zcl.SERVER_TO_CLIENT
    kind = (frame_type, to_client, command)
    if kind == (zcl.CLUSTER_SPECIFIC, True, REQUEST_MIRROR):
        out: Command = RequestMirror()
    elif kind == (zcl.CLUSTER_SPECIFIC, False, REQUEST_MIRROR_RESPONSE):
        out = RequestMirrorResponse(r.u16("endpoint_id"))
    elif kind == (zcl.CLUSTER_SPECIFIC, True, CONFIGURE_MIRROR):
        out = ConfigureMirror(r.u32("issuer_event_id"), r.uint(3, "reporting_interval"),
                              bool(r.u8("mirror_notification_reporting")), r.u8("notification_scheme"))
    elif kind == (zcl.GLOBAL, True, REPORT_ATTRIBUTES):
        return parse_report(payload)
    else:
        raise InputError(f"Metering: 0x{command:02X} ({'server' if to_client else 'client'}-generated, frame type "
                         f"{frame_type}) is not a mirror command", field="zcl.command")
    r.end("payload")
    return out


def parse_report(payload: bytes) -> Report:
    """The attribute values of a Report Attributes payload; InputError when malformed."""
    r = Reader(payload, "ZCL Report Attributes")
    values: dict[int, int] = {}
    while r.remaining():
        attr, dtype = r.u16("attribute_id"), r.u8("data_type")
        if dtype not in zcl.FIXED_TYPES:
            raise r.fail(f"data type 0x{dtype:02X} is not a fixed-length type the rig reads", "data_type")
        values[attr] = r.uint(zcl.FIXED_TYPES[dtype], "value")
    return Report(values)
