"""Zigbee keys derived from a link key (Zigbee spec 4.5.3): key-transport and key-load keys."""
from __future__ import annotations

from harness.zse.mmo import hmac_mmo


def key_transport_key(link_key: bytes) -> bytes:
    """HMAC-MMO(link key, 0x00): protects APS Transport-Key of a network key."""
    return hmac_mmo(link_key, b"\x00")


def key_load_key(link_key: bytes) -> bytes:
    """HMAC-MMO(link key, 0x02): protects APS Transport-Key of a link key."""
    return hmac_mmo(link_key, b"\x02")
