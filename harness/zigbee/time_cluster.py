"""ZCL Time cluster (0x000A), the CH's time as its HAN devices read it (BAD 7.5.7.5.2: a meter takes its CH's time,
and leaves its clock unchanged when the CH has no valid time): the TimeStatus attribute (0x0001, bitmap8) says
whether the server's time is valid: bit 0 Master, bit 1 Synchronized [I: a time that is neither is taken as "no
valid time"; the meter reads only TimeStatus, its board's clock being the CH's time (firmware/roles/clock_sync.py)]."""
from __future__ import annotations

from harness.zigbee import zcl

CLUSTER = 0x000A
ATTR_TIME_STATUS = 0x0001
BITMAP8 = 0x18
MASTER, SYNCHRONIZED = 0x01, 0x02


def read_request(tsn: int) -> bytes:
    return zcl.read_attributes(tsn, [ATTR_TIME_STATUS])


def read_response(tsn: int, valid: bool) -> bytes:
    """The server's answer: TimeStatus Master and Synchronized when its time is valid, neither when not."""
    status = MASTER | SYNCHRONIZED if valid else 0
    return zcl.read_attributes_response(tsn, [(ATTR_TIME_STATUS, zcl.STATUS_SUCCESS, BITMAP8, bytes([status]))])


def valid_time(payload: bytes) -> bool | None:
    """From a Read Attributes Response: whether the server's time is valid; None when the frame says nothing of it
    (another command, TimeStatus missing); InputError when malformed."""
    frame = zcl.decode(payload)
    if frame.frame_type != zcl.GLOBAL or frame.command != zcl.READ_ATTRIBUTES_RESPONSE:
        return None
    status, dtype, value = zcl.parse_read_attributes_response(frame.payload).get(ATTR_TIME_STATUS, (None, None, b""))
    if status != zcl.STATUS_SUCCESS or dtype != BITMAP8 or len(value) != 1:
        return None
    return bool(value[0] & (MASTER | SYNCHRONIZED))
