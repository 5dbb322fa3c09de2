"""ZSE Prepayment cluster (0x0705) commands a PPMID and a meter exchange: Select Available Emergency Credit (client
0x00), Consumer Top Up (client 0x04) and Consumer Top Up Response (server 0x03).

Layouts (ZCL little-endian; SE 1.4 Annex D.7.2.3.1, D.7.2.3.5, D.7.2.4.3, enumerations Tables D-146 and D-154):
- Select Available Emergency Credit: command issue date/time (UTCTime u32, seconds since 2000-01-01) | originating
  device (enum8).
- Consumer Top Up: originating device (enum8) | top up code (octet string: length octet, 1..25 octets). A GBCS
  CS01b/PCS01 payload carries the same octet string for a UTRN: `14` and 20 ASCII digits (gbcs.md 3.2).
- Consumer Top Up Response: result type (enum8) | top up value (int32) | source of top up (enum8) | credit
  remaining (int32).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from harness.errors import InputError
from harness.zigbee import zcl
from harness.zigbee.reader import Reader, u32le

CLUSTER_ID = 0x0705
SELECT_AVAILABLE_EMERGENCY_CREDIT = 0x00
CONSUMER_TOP_UP = 0x04
CONSUMER_TOP_UP_RESPONSE = 0x03
MAX_TOP_UP_CODE = 25
ZCL_EPOCH_UNIX = 946684800  # 2000-01-01T00:00:00Z: the origin of ZCL UTCTime


class OriginatingDevice(IntEnum):
    ESI = 0x00
    METER = 0x01
    IHD = 0x02  # an in-home display, and so a PPMID [I: SE has no PPMID value]


class ResultType(IntEnum):
    ACCEPTED = 0x00
    REJECTED_INVALID_TOP_UP = 0x01
    REJECTED_DUPLICATE_TOP_UP = 0x02
    REJECTED_ERROR = 0x03
    REJECTED_MAX_CREDIT_REACHED = 0x04
    REJECTED_KEYPAD_LOCK = 0x05
    REJECTED_TOP_UP_VALUE_TOO_LARGE = 0x06
    ACCEPTED_SUPPLY_ENABLED = 0x10
    ACCEPTED_SUPPLY_DISABLED = 0x11
    ACCEPTED_SUPPLY_ARMED = 0x12


def _enum(kind: type[IntEnum], value: int, field: str, r: Reader) -> IntEnum:
    try:
        return kind(value)
    except ValueError:
        raise r.fail(f"{field} 0x{value:02X} is not a defined value", field) from None


def _i32(r: Reader, field: str) -> int:
    return int.from_bytes(r.take(4, field), "little", signed=True)


def utc_time(unix_s: int) -> int:
    """ZCL UTCTime (seconds since 2000-01-01) for a Unix time."""
    return unix_s - ZCL_EPOCH_UNIX


@dataclass(frozen=True)
class SelectEmergencyCredit:
    issued: int  # ZCL UTCTime
    origin: OriginatingDevice = OriginatingDevice.IHD

    def encode(self) -> bytes:
        return u32le(self.issued) + bytes([self.origin])

    @classmethod
    def decode(cls, payload: bytes) -> "SelectEmergencyCredit":
        r = Reader(payload, "Select Available Emergency Credit")
        issued = r.u32("command_issue_date_time")
        origin = _enum(OriginatingDevice, r.u8("originating_device"), "originating_device", r)
        r.end("payload")
        return cls(issued, OriginatingDevice(origin))


@dataclass(frozen=True)
class ConsumerTopUp:
    code: bytes  # the top up code octets (a UTRN: 20 ASCII digits)
    origin: OriginatingDevice = OriginatingDevice.IHD

    def __post_init__(self) -> None:
        if not 1 <= len(self.code) <= MAX_TOP_UP_CODE:
            raise InputError(f"Consumer Top Up: a top up code is 1..{MAX_TOP_UP_CODE} octets, not {len(self.code)}",
                             field="top_up_code")

    @classmethod
    def for_utrn(cls, utrn: str, origin: OriginatingDevice = OriginatingDevice.IHD) -> "ConsumerTopUp":
        return cls(utrn.encode("ascii"), origin)

    @property
    def utrn(self) -> str:
        """The top up code as text (a UTRN's digits; undecodable octets become U+FFFD and fail UTRN checks)."""
        return self.code.decode("ascii", errors="replace")

    def encode(self) -> bytes:
        return bytes([self.origin, len(self.code)]) + self.code

    @classmethod
    def decode(cls, payload: bytes) -> "ConsumerTopUp":
        r = Reader(payload, "Consumer Top Up")
        origin = _enum(OriginatingDevice, r.u8("originating_device"), "originating_device", r)
        length = r.u8("top_up_code.length")
        if not 1 <= length <= MAX_TOP_UP_CODE:
            raise r.fail(f"top up code length {length} is outside 1..{MAX_TOP_UP_CODE}", "top_up_code.length")
        code = r.take(length, "top_up_code")
        r.end("payload")
        return cls(code, OriginatingDevice(origin))


@dataclass(frozen=True)
class ConsumerTopUpResponse:
    result: ResultType
    value: int
    source: OriginatingDevice
    credit_remaining: int

    def encode(self) -> bytes:
        return (bytes([self.result]) + self.value.to_bytes(4, "little", signed=True) + bytes([self.source])
                + self.credit_remaining.to_bytes(4, "little", signed=True))

    @classmethod
    def decode(cls, payload: bytes) -> "ConsumerTopUpResponse":
        r = Reader(payload, "Consumer Top Up Response")
        result = _enum(ResultType, r.u8("result_type"), "result_type", r)
        value = _i32(r, "top_up_value")
        source = _enum(OriginatingDevice, r.u8("source_of_top_up"), "source_of_top_up", r)
        remaining = _i32(r, "credit_remaining")
        r.end("payload")
        return cls(ResultType(result), value, OriginatingDevice(source), remaining)


CLIENT_COMMANDS = {SELECT_AVAILABLE_EMERGENCY_CREDIT: SelectEmergencyCredit, CONSUMER_TOP_UP: ConsumerTopUp}
SERVER_COMMANDS = {CONSUMER_TOP_UP_RESPONSE: ConsumerTopUpResponse}
Command = SelectEmergencyCredit | ConsumerTopUp | ConsumerTopUpResponse


def frame(command: Command, tsn: int) -> bytes:
    """The ZCL frame (cluster-specific, in the command's direction) carrying `command`."""
    if isinstance(command, ConsumerTopUpResponse):
        return zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, tsn, CONSUMER_TOP_UP_RESPONSE, command.encode(),
                                       zcl.SERVER_TO_CLIENT, disable_default_response=True))
    cid = CONSUMER_TOP_UP if isinstance(command, ConsumerTopUp) else SELECT_AVAILABLE_EMERGENCY_CREDIT
    return zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, tsn, cid, command.encode()))


def parse(data: bytes) -> tuple[zcl.ZclFrame, Command]:
    """A Prepayment cluster ZCL frame and the command it carries; InputError for anything else."""
    f = zcl.decode(data)
    if f.frame_type != zcl.CLUSTER_SPECIFIC or f.manufacturer is not None:
        raise InputError("Prepayment: not a standard cluster-specific command", field="frame_control")
    table = CLIENT_COMMANDS if f.direction == zcl.CLIENT_TO_SERVER else SERVER_COMMANDS
    kind = table.get(f.command)
    if kind is None:
        raise InputError(f"Prepayment: command 0x{f.command:02X} is not one the rig knows in this direction",
                         field="command_id")
    return f, kind.decode(f.payload)
