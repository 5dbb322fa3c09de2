"""ZCL On/Off cluster (0x0006) commands, as an ESME switches its HCALCS with them [I: BAD 7.5.5.5.2 says only "HAN
command"; the On/Off cluster is the rig's choice]: Off (0x00) and On (0x01), client to server, no payload."""
from __future__ import annotations

from harness.zigbee import zcl

CLUSTER = 0x0006
OFF, ON = 0x00, 0x01


def frame(command: int, tsn: int) -> bytes:
    """An Off or On command frame asking no default response; ValueError for another command."""
    if command not in (OFF, ON):
        raise ValueError(f"On/Off command {command} is neither Off nor On")
    return zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, tsn, command, disable_default_response=True))


def switching(payload: bytes) -> bool | None:
    """True for an On command, False for Off, None for any other On/Off frame; InputError when malformed."""
    f = zcl.decode(payload)
    if f.frame_type != zcl.CLUSTER_SPECIFIC or f.direction != zcl.CLIENT_TO_SERVER or f.command not in (OFF, ON):
        return None
    return f.command == ON
