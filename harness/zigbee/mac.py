"""IEEE 802.15.4 (2003/2006) MAC frames as used by Zigbee: data, ack, beacon, MAC commands.

Addresses are ints: a short address (mode 2) or an EUI-64 (mode 3, e.g. 0x0A0B0C0D0E0F1011), sent little-endian.
`encode`/`decode` work on the MPDU without FCS; `fcs()` computes the 2-octet FCS (CRC-16/KERMIT, sent LE).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import InputError
from harness.zigbee.reader import Reader, eui64le, u16le

BEACON, DATA, ACK, COMMAND = 0, 1, 2, 3
ADDR_NONE, ADDR_SHORT, ADDR_LONG = 0, 2, 3
BROADCAST_PAN = 0xFFFF
BROADCAST_SHORT = 0xFFFF

# MAC command identifiers
CMD_ASSOCIATION_REQUEST = 0x01
CMD_ASSOCIATION_RESPONSE = 0x02
CMD_DISASSOCIATION = 0x03
CMD_DATA_REQUEST = 0x04
CMD_BEACON_REQUEST = 0x07

# association response status
ASSOC_SUCCESS, ASSOC_PAN_AT_CAPACITY, ASSOC_ACCESS_DENIED = 0x00, 0x01, 0x02

# capability information bits (association request)
CAP_FFD, CAP_MAINS, CAP_RX_ON_IDLE, CAP_ALLOCATE_ADDRESS = 0x02, 0x04, 0x08, 0x80


@dataclass
class MacFrame:
    frame_type: int
    seq: int
    dst_mode: int = ADDR_NONE
    dst_pan: int | None = None
    dst: int | None = None
    src_mode: int = ADDR_NONE
    src_pan: int | None = None
    src: int | None = None
    payload: bytes = b""
    ack_request: bool = False
    frame_pending: bool = False
    pan_id_compression: bool = False
    version: int = 0


@dataclass
class Beacon:
    """Beacon MSDU: superframe spec (no GTS, no pending addresses) + beacon payload."""
    beacon_order: int = 15
    superframe_order: int = 15
    final_cap_slot: int = 15
    pan_coordinator: bool = True
    association_permit: bool = False
    payload: bytes = b""
    battery_life_ext: bool = False


@dataclass
class MacCommand:
    command: int
    payload: bytes = field(default=b"")


def fcs(mpdu: bytes) -> bytes:
    """802.15.4 FCS: CRC-16 ITU-T, reflected poly 0x8408, init 0, sent little-endian."""
    crc = 0
    for byte in mpdu:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


def _addr_bytes(mode: int, value: int | None, name: str) -> bytes:
    if mode == ADDR_SHORT:
        if value is None or not 0 <= value <= 0xFFFF:
            raise ValueError(f"{name}: short address out of range: {value!r}")
        return u16le(value)
    if mode == ADDR_LONG:
        if value is None or not 0 <= value < 1 << 64:
            raise ValueError(f"{name}: EUI-64 out of range: {value!r}")
        return eui64le(value)
    return b""


def encode(frame: MacFrame) -> bytes:
    """MPDU without FCS."""
    if frame.dst_mode not in (ADDR_NONE, ADDR_SHORT, ADDR_LONG) or frame.src_mode not in (ADDR_NONE, ADDR_SHORT, ADDR_LONG):
        raise ValueError("addressing mode must be 0, 2 or 3")
    fc = (frame.frame_type & 7) | (frame.frame_pending << 4) | (frame.ack_request << 5) \
        | (frame.pan_id_compression << 6) | (frame.dst_mode << 10) | ((frame.version & 3) << 12) | (frame.src_mode << 14)
    out = bytearray(u16le(fc))
    out.append(frame.seq & 0xFF)
    if frame.dst_mode:
        out += u16le(frame.dst_pan if frame.dst_pan is not None else BROADCAST_PAN)
        out += _addr_bytes(frame.dst_mode, frame.dst, "dst")
    if frame.src_mode:
        if not (frame.pan_id_compression and frame.dst_mode):
            out += u16le(frame.src_pan if frame.src_pan is not None else BROADCAST_PAN)
        out += _addr_bytes(frame.src_mode, frame.src, "src")
    out += frame.payload
    return bytes(out)


def decode(mpdu: bytes) -> MacFrame:
    """Parse an MPDU without FCS."""
    r = Reader(mpdu, "MAC")
    fc = r.u16("frame_control")
    frame_type = fc & 7
    if frame_type > COMMAND:
        raise InputError(f"MAC: reserved frame type {frame_type}", field="frame_control.frame_type", offset=0)
    if fc & 0x08:
        raise InputError("MAC: MAC-layer security is not used by Zigbee", field="frame_control.security", offset=0)
    dst_mode, src_mode = (fc >> 10) & 3, (fc >> 14) & 3
    for name, mode in (("dst_mode", dst_mode), ("src_mode", src_mode)):
        if mode == 1:
            raise InputError("MAC: reserved addressing mode 1", field=f"frame_control.{name}", offset=0)
    compression = bool(fc & 0x40)
    frame = MacFrame(frame_type=frame_type, seq=r.u8("seq"), dst_mode=dst_mode, src_mode=src_mode,
                     ack_request=bool(fc & 0x20), frame_pending=bool(fc & 0x10),
                     pan_id_compression=compression, version=(fc >> 12) & 3)
    if dst_mode:
        frame.dst_pan = r.u16("dst_pan")
        frame.dst = r.u16("dst") if dst_mode == ADDR_SHORT else r.eui64("dst")
    if src_mode:
        if compression and dst_mode:
            frame.src_pan = frame.dst_pan
        else:
            frame.src_pan = r.u16("src_pan")
        frame.src = r.u16("src") if src_mode == ADDR_SHORT else r.eui64("src")
    if frame_type == ACK and (dst_mode or src_mode):
        raise InputError("MAC: an ack carries no addresses", field="frame_control", offset=0)
    frame.payload = r.rest()
    return frame


def decode_with_fcs(psdu: bytes) -> MacFrame:
    """Parse a PSDU whose last two octets are the FCS, checking it."""
    if len(psdu) < 5:
        raise InputError("MAC: frame too short for header and FCS", field="fcs", offset=len(psdu))
    if fcs(psdu[:-2]) != psdu[-2:]:
        raise InputError("MAC: FCS mismatch", field="fcs", offset=len(psdu) - 2)
    return decode(psdu[:-2])


def encode_beacon(beacon: Beacon) -> bytes:
    spec = (beacon.beacon_order & 15) | ((beacon.superframe_order & 15) << 4) | ((beacon.final_cap_slot & 15) << 8) \
        | (beacon.battery_life_ext << 12) | (beacon.pan_coordinator << 14) | (beacon.association_permit << 15)
    return u16le(spec) + b"\x00\x00" + beacon.payload


def decode_beacon(msdu: bytes, base: int = 0) -> Beacon:
    r = Reader(msdu, "MAC beacon", base)
    spec = r.u16("superframe_spec")
    gts = r.u8("gts_spec")
    if gts & 7:
        r.take(1 + 3 * (gts & 7), "gts_list")  # direction mask + descriptors; Zigbee uses none
    pending = r.u8("pending_address_spec")
    r.take(2 * (pending & 7) + 8 * ((pending >> 4) & 7), "pending_addresses")
    return Beacon(beacon_order=spec & 15, superframe_order=(spec >> 4) & 15, final_cap_slot=(spec >> 8) & 15,
                  battery_life_ext=bool(spec & 0x1000), pan_coordinator=bool(spec & 0x4000),
                  association_permit=bool(spec & 0x8000), payload=r.rest())


def decode_command(msdu: bytes, base: int = 0) -> MacCommand:
    r = Reader(msdu, "MAC command", base)
    return MacCommand(command=r.u8("command_id"), payload=r.rest())


def encode_command(command: MacCommand) -> bytes:
    return bytes([command.command]) + command.payload


def association_request(capability: int) -> MacCommand:
    return MacCommand(CMD_ASSOCIATION_REQUEST, bytes([capability & 0xFF]))


def association_response(short_addr: int, status: int) -> MacCommand:
    return MacCommand(CMD_ASSOCIATION_RESPONSE, u16le(short_addr) + bytes([status]))


def parse_association_response(command: MacCommand) -> tuple[int, int]:
    """(short address, status)."""
    r = Reader(command.payload, "MAC association response", 1)
    short, status = r.u16("short_address"), r.u8("status")
    r.end("association_response")
    return short, status


def parse_association_request(command: MacCommand) -> int:
    """Capability information octet."""
    r = Reader(command.payload, "MAC association request", 1)
    cap = r.u8("capability")
    r.end("association_request")
    return cap
