"""EZSP parameter encodings (UG100 "Type definitions" and "Structure definitions"), little-endian throughout.

A field is (name, codec); a codec has `pack(value) -> bytes` and `unpack(data, offset) -> (value, offset)`.
Structures decode to dicts. Only the types the emulated NCP's commands use are here.
"""
from __future__ import annotations

import struct
from typing import Any, Sequence

from harness.errors import InputError


class Codec:
    def pack(self, value: Any) -> bytes:
        raise NotImplementedError

    def unpack(self, data: bytes, offset: int) -> tuple[Any, int]:
        raise NotImplementedError


class Int(Codec):
    def __init__(self, fmt: str):
        self.fmt = "<" + fmt
        self.size = struct.calcsize(self.fmt)

    def pack(self, value: Any) -> bytes:
        return struct.pack(self.fmt, int(value))

    def unpack(self, data: bytes, offset: int) -> tuple[int, int]:
        end = offset + self.size
        if end > len(data):
            raise InputError("EZSP frame too short", field=f"int@{offset}")
        return struct.unpack(self.fmt, data[offset:end])[0], end


class Octets(Codec):
    """Fixed-length octets (EUI-64 as an int, keys as bytes)."""

    def __init__(self, size: int, as_int: bool = False):
        self.size, self.as_int = size, as_int

    def pack(self, value: Any) -> bytes:
        raw = int(value).to_bytes(self.size, "little") if self.as_int else bytes(value)
        if len(raw) != self.size:
            raise ValueError(f"expected {self.size} octets")
        return raw

    def unpack(self, data: bytes, offset: int) -> tuple[Any, int]:
        end = offset + self.size
        if end > len(data):
            raise InputError("EZSP frame too short", field=f"octets@{offset}")
        raw = bytes(data[offset:end])
        return (int.from_bytes(raw, "little") if self.as_int else raw), end


class LengthPrefixed(Codec):
    """uint8_t length then that many octets (UG100 `uint8_t[]` with a preceding length)."""

    def pack(self, value: Any) -> bytes:
        value = bytes(value)
        if len(value) > 255:
            raise ValueError("too long for a uint8_t length")
        return bytes([len(value)]) + value

    def unpack(self, data: bytes, offset: int) -> tuple[bytes, int]:
        if offset >= len(data):
            raise InputError("EZSP frame too short", field=f"length@{offset}")
        end = offset + 1 + data[offset]
        if end > len(data):
            raise InputError("EZSP length runs past the frame", field=f"lv@{offset}")
        return bytes(data[offset + 1:end]), end


class Struct(Codec):
    def __init__(self, *fields: tuple[str, Codec]):
        self.fields = fields

    def pack(self, value: dict) -> bytes:
        return pack_fields(self.fields, value)

    def unpack(self, data: bytes, offset: int) -> tuple[dict, int]:
        out = {}
        for name, codec in self.fields:
            out[name], offset = codec.unpack(data, offset)
        return out, offset


class Counted(Codec):
    """A uint16_t list whose count is an earlier field (addEndpoint's cluster lists)."""

    def __init__(self, count_field: str):
        self.count_field = count_field


u8, u16, u32, i8 = Int("B"), Int("H"), Int("I"), Int("b")
boolean = u8
eui64 = Octets(8, as_int=True)
key = Octets(16)
lv = LengthPrefixed()

network_parameters = Struct(("extendedPanId", eui64), ("panId", u16), ("radioTxPower", i8), ("radioChannel", u8),
                            ("joinMethod", u8), ("nwkManagerId", u16), ("nwkUpdateId", u8), ("channels", u32))
initial_security_state = Struct(("bitmask", u16), ("preconfiguredKey", key), ("networkKey", key),
                                ("networkKeySequenceNumber", u8), ("preconfiguredTrustCenterEui64", eui64))
aps_frame = Struct(("profileId", u16), ("clusterId", u16), ("sourceEndpoint", u8), ("destinationEndpoint", u8),
                   ("options", u16), ("groupId", u16), ("sequence", u8))
zigbee_network = Struct(("channel", u8), ("panId", u16), ("extendedPanId", eui64), ("allowingJoin", boolean),
                        ("stackProfile", u8), ("nwkUpdateId", u8))
current_security_state = Struct(("bitmask", u16), ("trustCenterLongAddress", eui64))
key_struct = Struct(("bitmask", u16), ("type", u8), ("key", key), ("outgoingFrameCounter", u32),
                    ("incomingFrameCounter", u32), ("sequenceNumber", u8), ("partnerEUI64", eui64))
# sl_zb_sec_man_context_t (EZSP v13+: derived_type widened to 16 bits)
sec_man_context = Struct(("core_key_type", u8), ("key_index", u8), ("derived_type", u16), ("eui64", eui64),
                         ("multi_network_index", u8), ("flags", u8), ("psa_key_alg_permission", u32))
aps_key_metadata = Struct(("bitmask", u16), ("outgoing_frame_counter", u32), ("incoming_frame_counter", u32),
                          ("ttl_in_seconds", u16))
rx_packet_info = Struct(("sender_short_id", u16), ("sender_long_id", eui64), ("binding_index", u8),
                        ("address_index", u8), ("last_hop_lqi", u8), ("last_hop_rssi", i8),
                        ("last_hop_timestamp", u32))
network_key_info = Struct(("network_key_set", boolean), ("alternate_network_key_set", boolean),
                          ("network_key_sequence_number", u8), ("alt_network_key_sequence_number", u8),
                          ("network_key_frame_counter", u32))

Fields = Sequence[tuple[str, Codec]]


def pack_fields(fields: Fields, values: dict) -> bytes:
    out = bytearray()
    for name, codec in fields:
        if isinstance(codec, Counted):
            out += b"".join(u16.pack(v) for v in values[name])
        else:
            out += codec.pack(values[name])
    return bytes(out)


def unpack_fields(fields: Fields, data: bytes) -> dict:
    """Decode a whole parameter block; trailing octets are an error (a schema mismatch, never ignored)."""
    out: dict = {}
    offset = 0
    for name, codec in fields:
        if isinstance(codec, Counted):
            items = []
            for _ in range(out[codec.count_field]):
                item, offset = u16.unpack(data, offset)
                items.append(item)
            out[name] = items
        else:
            out[name], offset = codec.unpack(data, offset)
    if offset != len(data):
        raise InputError(f"{len(data) - offset} trailing octets in EZSP parameters", field="parameters")
    return out
