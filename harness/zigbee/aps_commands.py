"""APS command payloads (the plaintext after the APS header): Transport-Key, Update-Device, Remove-Device,
Request-Key, Switch-Key, Verify-Key, Confirm-Key."""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zigbee.reader import Reader, eui64le

TRANSPORT_KEY, UPDATE_DEVICE, REMOVE_DEVICE, REQUEST_KEY, SWITCH_KEY = 0x05, 0x06, 0x07, 0x08, 0x09
VERIFY_KEY, CONFIRM_KEY = 0x0F, 0x10

# key types (Transport-Key / Request-Key / Verify-Key)
KEY_NETWORK, KEY_APP_LINK, KEY_TC_LINK = 0x01, 0x03, 0x04
REQUEST_APP_LINK, REQUEST_TC_LINK = 0x02, 0x04


@dataclass
class TransportKey:
    key_type: int
    key: bytes
    dst: int = 0          # destination EUI-64 (network / TC link key), or partner (application link key)
    src: int = 0          # source EUI-64 (network / TC link key)
    seq: int = 0          # network key sequence number
    initiator: bool = False  # application link key only


@dataclass
class UpdateDevice:
    device: int
    short: int
    status: int


@dataclass
class RemoveDevice:
    target: int


@dataclass
class RequestKey:
    key_type: int
    partner: int | None = None


@dataclass
class SwitchKey:
    seq: int


@dataclass
class VerifyKey:
    key_type: int
    src: int
    hash: bytes


@dataclass
class ConfirmKey:
    status: int
    key_type: int
    dst: int


ApsCommand = TransportKey | UpdateDevice | RemoveDevice | RequestKey | SwitchKey | VerifyKey | ConfirmKey


def _key(key: bytes) -> bytes:
    if len(key) != 16:
        raise ValueError("keys are 16 octets")
    return bytes(key)


def encode(cmd: ApsCommand) -> bytes:
    if isinstance(cmd, TransportKey):
        body = _key(cmd.key)
        if cmd.key_type == KEY_NETWORK:
            body += bytes([cmd.seq & 0xFF]) + eui64le(cmd.dst) + eui64le(cmd.src)
        elif cmd.key_type == KEY_TC_LINK:
            body += eui64le(cmd.dst) + eui64le(cmd.src)
        elif cmd.key_type == KEY_APP_LINK:
            body += eui64le(cmd.dst) + bytes([cmd.initiator])
        else:
            raise ValueError(f"unsupported key type {cmd.key_type}")
        return bytes([TRANSPORT_KEY, cmd.key_type]) + body
    if isinstance(cmd, UpdateDevice):
        return bytes([UPDATE_DEVICE]) + eui64le(cmd.device) + cmd.short.to_bytes(2, "little") + bytes([cmd.status])
    if isinstance(cmd, RemoveDevice):
        return bytes([REMOVE_DEVICE]) + eui64le(cmd.target)
    if isinstance(cmd, RequestKey):
        tail = eui64le(cmd.partner or 0) if cmd.key_type == REQUEST_APP_LINK else b""
        return bytes([REQUEST_KEY, cmd.key_type]) + tail
    if isinstance(cmd, SwitchKey):
        return bytes([SWITCH_KEY, cmd.seq & 0xFF])
    if isinstance(cmd, VerifyKey):
        if len(cmd.hash) != 16:
            raise ValueError("verify-key hash is 16 octets")
        return bytes([VERIFY_KEY, cmd.key_type]) + eui64le(cmd.src) + cmd.hash
    if isinstance(cmd, ConfirmKey):
        return bytes([CONFIRM_KEY, cmd.status, cmd.key_type]) + eui64le(cmd.dst)
    raise TypeError(f"not an APS command: {cmd!r}")


def decode(data: bytes, base: int = 0) -> ApsCommand:
    """Parse a plaintext APS command payload; trailing octets are an error."""
    r = Reader(data, "APS command", base)
    cid = r.u8("command_id")
    cmd: ApsCommand
    if cid == TRANSPORT_KEY:
        key_type = r.u8("transport_key.key_type")
        key = r.take(16, "transport_key.key")
        if key_type == KEY_NETWORK:
            seq = r.u8("transport_key.key_seq")
            cmd = TransportKey(key_type, key, dst=r.eui64("transport_key.dst"), src=r.eui64("transport_key.src"),
                               seq=seq)
        elif key_type == KEY_TC_LINK:
            cmd = TransportKey(key_type, key, dst=r.eui64("transport_key.dst"), src=r.eui64("transport_key.src"))
        elif key_type == KEY_APP_LINK:
            cmd = TransportKey(key_type, key, dst=r.eui64("transport_key.partner"),
                               initiator=bool(r.u8("transport_key.initiator")))
        else:
            raise InputError(f"APS: unknown Transport-Key key type {key_type}", field="transport_key.key_type",
                             offset=base + 1)
    elif cid == UPDATE_DEVICE:
        cmd = UpdateDevice(r.eui64("update_device.device"), r.u16("update_device.short"), r.u8("update_device.status"))
    elif cid == REMOVE_DEVICE:
        cmd = RemoveDevice(r.eui64("remove_device.target"))
    elif cid == REQUEST_KEY:
        key_type = r.u8("request_key.key_type")
        if key_type == REQUEST_APP_LINK:
            cmd = RequestKey(key_type, r.eui64("request_key.partner"))
        elif key_type == REQUEST_TC_LINK:
            cmd = RequestKey(key_type)
        else:
            raise InputError(f"APS: unknown Request-Key key type {key_type}", field="request_key.key_type",
                             offset=base + 1)
    elif cid == SWITCH_KEY:
        cmd = SwitchKey(r.u8("switch_key.seq"))
    elif cid == VERIFY_KEY:
        cmd = VerifyKey(r.u8("verify_key.key_type"), r.eui64("verify_key.src"), r.take(16, "verify_key.hash"))
    elif cid == CONFIRM_KEY:
        cmd = ConfirmKey(r.u8("confirm_key.status"), r.u8("confirm_key.key_type"), r.eui64("confirm_key.dst"))
    else:
        raise InputError(f"APS: unknown command 0x{cid:02x}", field="command_id", offset=base)
    r.end("command")
    return cmd
