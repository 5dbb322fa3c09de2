"""NWK and APS frame security on top of `harness.zse.frame_security` (A's aux header codec and CCM*).

NWK frames are secured with the network key (key id 1, extended nonce with the sender's EUI-64, key sequence
number). APS frames are secured with a link key (key id 0), or with the key-transport / key-load key derived from it
(ids 2 / 3), always with an extended nonce. Inter-PAN frames carry a 5-octet aux header (no extended nonce): the nonce
source is the MAC source EUI-64 and `a` is the stub APS header [I: SE Annex B, EmberZNet interpan.c]. All levels on
air are 0; the real level is 5 (ENC-MIC-32).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from harness.errors import InputError
from harness.zigbee import aps, interpan, nwk
from harness.zigbee.reader import eui64le
from harness.zse import frame_security as fs
from harness.zse.keys import key_load_key, key_transport_key

LEVEL = fs.DEFAULT_LEVEL
KEY_DATA, KEY_NETWORK, KEY_TRANSPORT, KEY_LOAD = fs.KEY_DATA, fs.KEY_NETWORK, fs.KEY_TRANSPORT, fs.KEY_LOAD


def _aps_key(link_key: bytes, key_id: int) -> bytes:
    if key_id == KEY_TRANSPORT:
        return key_transport_key(link_key)
    if key_id == KEY_LOAD:
        return key_load_key(link_key)
    return link_key


def secure_nwk(frame: nwk.NwkFrame, network_key: bytes, key_seq: int, counter: int, src_eui: int) -> bytes:
    """The secured NWK frame octets (frame.payload is the plaintext NWK payload)."""
    header = nwk.encode_header(replace(frame, security=True))
    aux = fs.AuxHeader(LEVEL, KEY_NETWORK, counter, source=eui64le(src_eui), key_seq=key_seq)
    return fs.secure(network_key, header, aux, frame.payload)


def open_nwk(data: bytes, network_keys: Callable[[int], bytes | None], base: int = 0) -> tuple[nwk.NwkFrame, fs.AuxHeader]:
    """Parse and, when secured, decrypt a NWK frame. `network_keys(seq)` gives the key for a key sequence number.
    Raises InputError (MicError for a wrong key) on failure."""
    frame = nwk.decode(data, base)
    if not frame.security:
        raise InputError("NWK frame is not secured", field="frame_control.security", offset=base)
    aux, _ = fs.AuxHeader.decode(data, len(frame.header), LEVEL)
    if aux.key_id != KEY_NETWORK:
        raise InputError(f"NWK frame secured with key id {aux.key_id}, expected the network key", field="key_id",
                         offset=base + len(frame.header))
    key = network_keys(aux.key_seq if aux.key_seq is not None else -1)
    if key is None:
        raise InputError(f"no network key with sequence number {aux.key_seq}", field="key_seq",
                         offset=base + len(frame.header))
    src = eui64le(frame.src_ieee) if frame.src_ieee is not None else None
    opened = fs.unsecure(key, data, len(frame.header), source=src)
    return replace(frame, payload=opened.payload), opened.aux


def secure_aps(frame: aps.ApsFrame, link_key: bytes, key_id: int, counter: int, src_eui: int) -> bytes:
    """The secured APS frame octets, protected by `link_key` or the key of `key_id` derived from it."""
    header = aps.encode_header(replace(frame, security=True))
    aux = fs.AuxHeader(LEVEL, key_id, counter, source=eui64le(src_eui))
    return fs.secure(_aps_key(link_key, key_id), header, aux, frame.payload)


def aps_aux(data: bytes, base: int = 0) -> tuple[aps.ApsFrame, fs.AuxHeader]:
    """Parse a secured APS frame's header and aux header without decrypting (to pick the key)."""
    frame = aps.decode(data, base)
    if not frame.security:
        raise InputError("APS frame is not secured", field="frame_control.security", offset=base)
    aux, _ = fs.AuxHeader.decode(data, len(frame.header), LEVEL)
    return frame, aux


def open_aps(data: bytes, link_key: bytes, src_eui: int | None = None, base: int = 0) -> tuple[aps.ApsFrame, fs.AuxHeader]:
    """Decrypt a secured APS frame with `link_key` (deriving the transport/load key the aux header names)."""
    frame, aux = aps_aux(data, base)
    if aux.key_id == KEY_NETWORK:
        raise InputError("APS frame secured with the network key", field="key_id", offset=base + len(frame.header))
    src = eui64le(src_eui) if src_eui is not None else None
    opened = fs.unsecure(_aps_key(link_key, aux.key_id), data, len(frame.header), source=src)
    return replace(frame, payload=opened.payload), opened.aux


def secure_interpan(frame: interpan.InterPanFrame, link_key: bytes, counter: int, src_eui: int) -> bytes:
    """Stub NWK FC || secured stub APS frame (link key, no extended nonce; nonce source = MAC source EUI-64)."""
    header = interpan.encode_header(replace(frame, security=True))
    aux = fs.AuxHeader(LEVEL, KEY_DATA, counter)
    return header[:2] + fs.secure(link_key, header[2:], aux, frame.payload, source=eui64le(src_eui))


def open_interpan(data: bytes, link_key: bytes, src_eui: int) -> interpan.InterPanFrame:
    frame = interpan.decode(data)
    if not frame.security:
        raise InputError("inter-PAN frame is not secured", field="aps_frame_control.security", offset=2)
    opened = fs.unsecure(link_key, data[2:], len(frame.header) - 2, source=eui64le(src_eui))
    return replace(frame, payload=opened.payload)
