"""Key Establishment cluster (0x0800) ZCL frames: Initiate, Ephemeral Data, Confirm Key Data, Terminate.

A frame is the whole ZCL frame: frame control, TSN, command id, payload. Client->server (initiator) frames have
the direction bit clear, server->client (responder) frames have it set; command ids are the same both ways.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from harness.errors import InputError

CLUSTER_ID = 0x0800
PROFILE_ID = 0x0109
ATTR_SUITE = 0x0000

FC_CLUSTER_SPECIFIC = 0x01
FC_MANUFACTURER = 0x04
FC_SERVER_TO_CLIENT = 0x08
FC_DISABLE_DEFAULT_RESPONSE = 0x10

CMD_INITIATE = 0x00
CMD_EPHEMERAL = 0x01
CMD_CONFIRM = 0x02
CMD_TERMINATE = 0x03


class Status(IntEnum):
    """Terminate Key Establishment status values."""

    UNKNOWN_ISSUER = 0x01
    BAD_KEY_CONFIRM = 0x02
    BAD_MESSAGE = 0x03
    NO_RESOURCES = 0x04
    UNSUPPORTED_SUITE = 0x05
    INVALID_CERTIFICATE = 0x06


@dataclass(frozen=True)
class Initiate:
    """Initiate Key Establishment Request/Response."""

    suite: int              # one-bit KeyEstablishmentSuite value (1 = suite 1, 2 = suite 2)
    ephemeral_time: int     # seconds the sender needs to generate ephemeral data
    confirm_time: int       # seconds the sender needs to generate the confirm key message
    certificate: bytes
    command = CMD_INITIATE

    def payload(self) -> bytes:
        return (self.suite.to_bytes(2, "little") + bytes([self.ephemeral_time, self.confirm_time])
                + self.certificate)


@dataclass(frozen=True)
class EphemeralData:
    point: bytes
    command = CMD_EPHEMERAL

    def payload(self) -> bytes:
        return self.point


@dataclass(frozen=True)
class ConfirmKey:
    mac: bytes
    command = CMD_CONFIRM

    def payload(self) -> bytes:
        return self.mac


@dataclass(frozen=True)
class Terminate:
    status: int
    wait_time: int
    suites: int             # sender's supported KeyEstablishmentSuite bitmap
    command = CMD_TERMINATE

    def payload(self) -> bytes:
        return bytes([self.status, self.wait_time]) + self.suites.to_bytes(2, "little")


Command = Initiate | EphemeralData | ConfirmKey | Terminate

CERT_OCTETS = {1: 48, 2: 74}
POINT_OCTETS = {1: 22, 2: 37}
MAC_OCTETS = 16


@dataclass(frozen=True)
class Frame:
    """A decoded KE frame."""

    tsn: int
    from_server: bool
    command: Command
    disable_default_response: bool = False

    def encode(self) -> bytes:
        fc = FC_CLUSTER_SPECIFIC | (FC_SERVER_TO_CLIENT if self.from_server else 0)
        fc |= FC_DISABLE_DEFAULT_RESPONSE if self.disable_default_response else 0
        return bytes([fc, self.tsn & 0xFF, self.command.command]) + self.command.payload()


def decode(data: bytes, point_octets: int | None = None) -> Frame:
    """Decode a ZCL KE frame. Initiate certificates are sized by their suite field; Ephemeral Data takes
    `point_octets` when given (else 22 or 37). InputError names the bad field."""
    data = bytes(data)
    if len(data) < 3:
        raise InputError(f"ZCL frame too short ({len(data)} octets)", field="zcl_header")
    fc, tsn, cmd = data[0], data[1], data[2]
    if fc & 0x03 != FC_CLUSTER_SPECIFIC:
        raise InputError(f"frame control 0x{fc:02X} is not cluster-specific", field="frame_control", offset=0)
    if fc & FC_MANUFACTURER:
        raise InputError("manufacturer-specific KE frame", field="frame_control", offset=0)
    if fc & 0xE0:
        raise InputError(f"reserved frame control bits set (0x{fc:02X})", field="frame_control", offset=0)
    body = data[3:]
    if cmd == CMD_INITIATE:
        command = _initiate(body)
    elif cmd == CMD_EPHEMERAL:
        allowed = (point_octets,) if point_octets else tuple(POINT_OCTETS.values())
        if len(body) not in allowed:
            raise InputError(f"ephemeral data must be {' or '.join(map(str, allowed))} octets, got {len(body)}",
                             field="ephemeral_data", offset=3)
        command = EphemeralData(body)
    elif cmd == CMD_CONFIRM:
        if len(body) != MAC_OCTETS:
            raise InputError(f"confirm key MAC must be 16 octets, got {len(body)}", field="mac", offset=3)
        command = ConfirmKey(body)
    elif cmd == CMD_TERMINATE:
        if len(body) != 4:
            raise InputError(f"terminate payload must be 4 octets, got {len(body)}", field="terminate", offset=3)
        command = Terminate(body[0], body[1], int.from_bytes(body[2:4], "little"))
    else:
        raise InputError(f"unknown KE command 0x{cmd:02X}", field="command_id", offset=2)
    return Frame(tsn, bool(fc & FC_SERVER_TO_CLIENT), command, bool(fc & FC_DISABLE_DEFAULT_RESPONSE))


def _initiate(body: bytes) -> Initiate:
    if len(body) < 4:
        raise InputError("initiate payload too short", field="initiate", offset=3)
    suite = int.from_bytes(body[:2], "little")
    cert = body[4:]
    expected = CERT_OCTETS.get(suite)
    if expected is not None and len(cert) != expected:
        raise InputError(f"suite {suite} certificate must be {expected} octets, got {len(cert)}",
                         field="certificate", offset=7)
    if expected is None and len(cert) not in CERT_OCTETS.values():
        raise InputError(f"certificate must be 48 or 74 octets, got {len(cert)}", field="certificate", offset=7)
    return Initiate(suite, body[2], body[3], cert)
