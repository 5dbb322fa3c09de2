"""Zigbee PRO NWK frames (data, commands, inter-PAN stub FC). Secured frames keep aux header + ciphertext + MIC in
`payload` until `harness.zigbee.security` opens them; `header` holds the exact received header octets (the CCM* `a`)."""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import InputError
from harness.zigbee.reader import Reader, eui64le, u16le

DATA, COMMAND, INTERPAN = 0, 1, 3
PROTOCOL_VERSION = 2
BROADCAST_ALL, BROADCAST_RX_ON, BROADCAST_ROUTERS = 0xFFFF, 0xFFFD, 0xFFFC

# NWK command identifiers
CMD_ROUTE_REQUEST, CMD_ROUTE_REPLY, CMD_NETWORK_STATUS, CMD_LEAVE = 0x01, 0x02, 0x03, 0x04
CMD_REJOIN_REQUEST, CMD_REJOIN_RESPONSE, CMD_END_DEVICE_TIMEOUT_REQUEST = 0x06, 0x07, 0x0B

LEAVE_REJOIN, LEAVE_REQUEST, LEAVE_REMOVE_CHILDREN = 0x20, 0x40, 0x80


@dataclass
class NwkFrame:
    frame_type: int
    dst: int
    src: int
    seq: int
    radius: int = 30
    payload: bytes = b""
    security: bool = False
    dst_ieee: int | None = None
    src_ieee: int | None = None
    discover_route: int = 0
    multicast_control: int | None = None
    source_route: list[int] | None = None
    relay_index: int = 0
    end_device_initiator: bool = False
    protocol_version: int = PROTOCOL_VERSION
    header: bytes = field(default=b"", compare=False, repr=False)


def encode_header(f: NwkFrame) -> bytes:
    fc = (f.frame_type & 3) | ((f.protocol_version & 15) << 2) | ((f.discover_route & 3) << 6) \
        | ((f.multicast_control is not None) << 8) | (f.security << 9) | ((f.source_route is not None) << 10) \
        | ((f.dst_ieee is not None) << 11) | ((f.src_ieee is not None) << 12) | (f.end_device_initiator << 13)
    out = bytearray(u16le(fc) + u16le(f.dst) + u16le(f.src))
    out += bytes([f.radius & 0xFF, f.seq & 0xFF])
    if f.dst_ieee is not None:
        out += eui64le(f.dst_ieee)
    if f.src_ieee is not None:
        out += eui64le(f.src_ieee)
    if f.multicast_control is not None:
        out.append(f.multicast_control & 0xFF)
    if f.source_route is not None:
        out += bytes([len(f.source_route), f.relay_index]) + b"".join(u16le(a) for a in f.source_route)
    return bytes(out)


def encode(f: NwkFrame) -> bytes:
    return encode_header(f) + f.payload


def decode(data: bytes, base: int = 0) -> NwkFrame:
    """Parse a NWK frame (the MAC payload); `base` is its offset in the MPDU, for error offsets."""
    r = Reader(data, "NWK", base)
    fc = r.u16("frame_control")
    frame_type = fc & 3
    if frame_type == 2:
        raise InputError("NWK: reserved frame type 2", field="frame_control.frame_type", offset=base)
    if frame_type == INTERPAN:
        raise InputError("NWK: inter-PAN stub header; use harness.zigbee.interpan", field="frame_control.frame_type",
                         offset=base)
    f = NwkFrame(frame_type=frame_type, dst=r.u16("dst"), src=r.u16("src"), radius=r.u8("radius"), seq=r.u8("seq"),
                 protocol_version=(fc >> 2) & 15, discover_route=(fc >> 6) & 3, security=bool(fc & 0x200),
                 end_device_initiator=bool(fc & 0x2000))
    if fc & 0x800:
        f.dst_ieee = r.eui64("dst_ieee")
    if fc & 0x1000:
        f.src_ieee = r.eui64("src_ieee")
    if fc & 0x100:
        f.multicast_control = r.u8("multicast_control")
    if fc & 0x400:
        count = r.u8("source_route.relay_count")
        f.relay_index = r.u8("source_route.relay_index")
        f.source_route = [r.u16(f"source_route.relay[{i}]") for i in range(count)]
    f.header = data[:r.pos]
    f.payload = r.rest()
    return f


@dataclass
class NwkCommand:
    command: int
    payload: bytes = b""


def encode_command(cmd: NwkCommand) -> bytes:
    return bytes([cmd.command]) + cmd.payload


def decode_command(data: bytes, base: int = 0) -> NwkCommand:
    r = Reader(data, "NWK command", base)
    return NwkCommand(r.u8("command_id"), r.rest())


def leave(options: int = 0) -> NwkCommand:
    return NwkCommand(CMD_LEAVE, bytes([options & 0xE0]))
