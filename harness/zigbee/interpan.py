"""The SE inter-PAN stub NWK/APS header (SE Annex B): NWK FC 0x000B, stub APS FC, [group], cluster, profile, then
the ZCL frame (or aux header + ciphertext + MIC when APS-secured). Carried in a MAC data frame with a long source
address and no PAN ID compression (see `mac_frame`)."""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import InputError
from harness.zigbee import mac
from harness.zigbee.aps import BROADCAST, GROUP, UNICAST
from harness.zigbee.reader import Reader, u16le

NWK_STUB_FC = 0x000B
PROFILE_SE = 0x0109


@dataclass
class InterPanFrame:
    cluster: int
    profile: int = PROFILE_SE
    delivery: int = UNICAST
    group: int | None = None
    security: bool = False
    payload: bytes = b""
    header: bytes = field(default=b"", compare=False, repr=False)


def encode_header(f: InterPanFrame) -> bytes:
    if f.delivery not in (UNICAST, BROADCAST, GROUP):
        raise ValueError("inter-PAN delivery must be unicast, broadcast or group")
    out = u16le(NWK_STUB_FC) + bytes([3 | (f.delivery << 2) | (f.security << 5)])
    if f.delivery == GROUP:
        out += u16le(f.group or 0)
    return out + u16le(f.cluster) + u16le(f.profile)


def encode(f: InterPanFrame) -> bytes:
    return encode_header(f) + f.payload


def is_interpan(nwk_payload: bytes) -> bool:
    """True when a MAC data payload starts with the inter-PAN stub NWK frame control."""
    return len(nwk_payload) >= 2 and (nwk_payload[0] & 3) == 3


def decode(data: bytes, base: int = 0) -> InterPanFrame:
    r = Reader(data, "inter-PAN", base)
    nwk_fc = r.u16("nwk_frame_control")
    if nwk_fc & 3 != 3:
        raise InputError("inter-PAN: NWK frame type is not 3", field="nwk_frame_control", offset=base)
    aps_fc = r.u8("aps_frame_control")
    if aps_fc & 3 != 3:
        raise InputError("inter-PAN: APS frame type is not 3", field="aps_frame_control", offset=base + 2)
    delivery = (aps_fc >> 2) & 3
    if delivery == 1:
        raise InputError("inter-PAN: reserved delivery mode 1", field="aps_frame_control.delivery_mode",
                         offset=base + 2)
    f = InterPanFrame(cluster=0, delivery=delivery, security=bool(aps_fc & 0x20))
    if delivery == GROUP:
        f.group = r.u16("group")
    f.cluster = r.u16("cluster")
    f.profile = r.u16("profile")
    f.header = data[:r.pos]
    f.payload = r.rest()
    return f


def mac_frame(seq: int, dst_pan: int, dst: int, dst_long: bool, src_pan: int, src_eui: int,
              payload: bytes) -> mac.MacFrame:
    """The MAC data frame carrying an inter-PAN frame (ack requested for unicast)."""
    unicast = not (not dst_long and dst == mac.BROADCAST_SHORT)
    return mac.MacFrame(mac.DATA, seq, dst_mode=mac.ADDR_LONG if dst_long else mac.ADDR_SHORT, dst_pan=dst_pan,
                        dst=dst, src_mode=mac.ADDR_LONG, src_pan=src_pan, src=src_eui, payload=payload,
                        ack_request=unicast)
