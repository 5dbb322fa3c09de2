"""The Zigbee beacon payload (carried in the 802.15.4 beacon): protocol id, stack profile, capacities, depth,
extended PAN ID (for GB: the Communications Hub's HAN EUI-64), tx offset, NWK update id."""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zigbee.reader import Reader, eui64le

STACK_PROFILE_PRO = 2
LENGTH = 15


@dataclass
class ZigbeeBeacon:
    extended_pan_id: int
    router_capacity: bool = True
    end_device_capacity: bool = True
    depth: int = 0
    stack_profile: int = STACK_PROFILE_PRO
    protocol_version: int = 2
    tx_offset: int = 0xFFFFFF
    update_id: int = 0


def encode(b: ZigbeeBeacon) -> bytes:
    return bytes([0, (b.stack_profile & 15) | ((b.protocol_version & 15) << 4),
                  (b.router_capacity << 2) | ((b.depth & 15) << 3) | (b.end_device_capacity << 7)]) \
        + eui64le(b.extended_pan_id) + b.tx_offset.to_bytes(3, "little") + bytes([b.update_id & 0xFF])


def decode(data: bytes, base: int = 0) -> ZigbeeBeacon:
    r = Reader(data, "Zigbee beacon", base)
    if r.u8("protocol_id") != 0:
        raise InputError("Zigbee beacon: protocol id must be 0", field="protocol_id", offset=base)
    stack = r.u8("stack_profile")
    caps = r.u8("capacity")
    b = ZigbeeBeacon(extended_pan_id=0, stack_profile=stack & 15, protocol_version=stack >> 4,
                     router_capacity=bool(caps & 4), depth=(caps >> 3) & 15, end_device_capacity=bool(caps & 0x80))
    b.extended_pan_id = r.eui64("extended_pan_id")
    b.tx_offset = r.uint(3, "tx_offset")
    b.update_id = r.u8("update_id")
    r.end("beacon_payload")
    return b
