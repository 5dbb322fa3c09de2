"""Zigbee APS frames: data, command and ack (with the optional extended header). Secured frames keep
aux header + ciphertext + MIC in `payload` until `harness.zigbee.security` opens them."""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import InputError
from harness.zigbee.reader import Reader, u16le

DATA, COMMAND, ACK, INTERPAN = 0, 1, 2, 3
UNICAST, BROADCAST, GROUP = 0, 2, 3
FRAGMENT_FIRST, FRAGMENT_MORE = 0x01, 0x02   # extended frame control: fragmentation field


@dataclass
class ApsFrame:
    frame_type: int
    counter: int
    delivery: int = UNICAST
    dst_ep: int | None = None
    group: int | None = None
    cluster: int | None = None
    profile: int | None = None
    src_ep: int | None = None
    payload: bytes = b""
    security: bool = False
    ack_request: bool = False
    ack_format: bool = False
    extended: bytes | None = None  # raw extended header (fragmentation), when present
    header: bytes = field(default=b"", compare=False, repr=False)


def _has_endpoints(f: ApsFrame) -> bool:
    return f.frame_type == DATA or (f.frame_type == ACK and not f.ack_format)


def encode_header(f: ApsFrame) -> bytes:
    fc = (f.frame_type & 3) | ((f.delivery & 3) << 2) | (f.ack_format << 4) | (f.security << 5) \
        | (f.ack_request << 6) | ((f.extended is not None) << 7)
    out = bytearray([fc])
    if _has_endpoints(f):
        if f.frame_type == DATA and f.delivery == GROUP:
            out += u16le(f.group or 0)
        else:
            out.append((f.dst_ep or 0) & 0xFF)
        out += u16le(f.cluster or 0) + u16le(f.profile or 0)
        out.append((f.src_ep or 0) & 0xFF)
    out.append(f.counter & 0xFF)
    if f.extended is not None:
        out += f.extended
    return bytes(out)


def encode(f: ApsFrame) -> bytes:
    return encode_header(f) + f.payload


def decode(data: bytes, base: int = 0) -> ApsFrame:
    """Parse an APS frame (the NWK payload); `base` is its offset in the MPDU, for error offsets."""
    r = Reader(data, "APS", base)
    fc = r.u8("frame_control")
    f = ApsFrame(frame_type=fc & 3, counter=0, delivery=(fc >> 2) & 3, ack_format=bool(fc & 0x10),
                 security=bool(fc & 0x20), ack_request=bool(fc & 0x40))
    if f.frame_type == INTERPAN:
        raise InputError("APS: inter-PAN stub frame; use harness.zigbee.interpan", field="frame_control.frame_type",
                         offset=base)
    if f.delivery == 1:
        raise InputError("APS: reserved delivery mode 1", field="frame_control.delivery_mode", offset=base)
    if _has_endpoints(f):
        if f.frame_type == DATA and f.delivery == GROUP:
            f.group = r.u16("group")
        else:
            f.dst_ep = r.u8("dst_endpoint")
        f.cluster = r.u16("cluster")
        f.profile = r.u16("profile")
        f.src_ep = r.u8("src_endpoint")
    f.counter = r.u8("counter")
    if fc & 0x80:
        start = r.pos
        ext = r.u8("extended_header.control")
        if ext & 3:
            r.u8("extended_header.block_number")
            if f.frame_type == ACK:
                r.u8("extended_header.ack_bitfield")
        f.extended = data[start:r.pos]
    f.header = data[:r.pos]
    f.payload = r.rest()
    return f


def fragment_header(index: int, count: int) -> bytes:
    """The extended header of block `index` of a `count`-block message: the first names the block count, the
    others their block number."""
    return bytes([FRAGMENT_FIRST, count]) if index == 0 else bytes([FRAGMENT_MORE, index])


def fragment_of(frame: ApsFrame) -> tuple[int, int | None] | None:
    """(block number, block count (first block only, else None)) of a fragmented data frame; None if unfragmented."""
    ext = frame.extended
    if not ext or len(ext) < 2 or not ext[0] & 3:
        return None
    return (0, ext[1]) if ext[0] & 3 == FRAGMENT_FIRST else (ext[1], None)


def ack_for(frame: ApsFrame) -> ApsFrame:
    """The APS ack for a received frame that asked for one; a block's names its block number with the first bit of
    the ack bitfield set (a window of one block)."""
    if frame.frame_type == COMMAND:
        return ApsFrame(ACK, frame.counter, ack_format=True)
    block = fragment_of(frame)
    extended = None if block is None else bytes([frame.extended[0] & 3, block[0], 0x01])
    return ApsFrame(ACK, frame.counter, dst_ep=frame.src_ep, cluster=frame.cluster, profile=frame.profile,
                    src_ep=frame.dst_ep, extended=extended)
