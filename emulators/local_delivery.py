"""How an HHT hands a locally delivered GBCS command to the CH over inter-PAN, and gets the response back.

The rig carries the GBCS message in a Tunneling cluster (0x0704) TransferData command, APS-secured with the link
key the inter-PAN CBKE produced (BAD 7.2.2.6.3 d: "a command secured using the shared symmetric key"). GBCS and
CHTS define the exact carriage; this framing is the rig's until a real HHT trace pins it down.
"""
from __future__ import annotations

from harness.errors import InputError
from harness.zigbee import zcl

TUNNELING_CLUSTER = 0x0704
TRANSFER_DATA_TO_SERVER = 0x02   # client -> server (HHT -> CH)
TRANSFER_DATA_TO_CLIENT = 0x01   # server -> client (CH -> HHT)
LOCAL_TUNNEL_ID = 0x0000


def wrap(tsn: int, gbcs: bytes, *, to_server: bool) -> bytes:
    command = TRANSFER_DATA_TO_SERVER if to_server else TRANSFER_DATA_TO_CLIENT
    direction = zcl.CLIENT_TO_SERVER if to_server else zcl.SERVER_TO_CLIENT
    return zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, tsn, command, LOCAL_TUNNEL_ID.to_bytes(2, "little") + gbcs,
                                   direction, disable_default_response=True))


def unwrap(frame: bytes, *, to_server: bool) -> tuple[int, bytes]:
    """(tsn, GBCS bytes) of a TransferData frame in the expected direction; InputError otherwise."""
    decoded = zcl.decode(frame)
    command = TRANSFER_DATA_TO_SERVER if to_server else TRANSFER_DATA_TO_CLIENT
    if decoded.frame_type != zcl.CLUSTER_SPECIFIC or decoded.command != command or len(decoded.payload) < 2:
        raise InputError(f"not a Tunneling TransferData (command 0x{command:02X}) frame", field="zcl.command")
    return decoded.tsn, decoded.payload[2:]
