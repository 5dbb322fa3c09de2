"""Zigbee frame codecs: round trips, fixed layouts from the specs, and malformed input as typed errors."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from harness.errors import InputError
from harness.zigbee import aps, aps_commands as ac, beacon, interpan, mac, nwk, security, zcl
from harness.zse.ccm import MicError

TC, DEV = 0x0A0B0C0D0E0F1011, 0x0A0B0C0D0E0F1012
NK, LK = bytes(range(16)), bytes.fromhex("41618FC0C83B0E14A589954B16E31466")


def test_fcs_is_crc16_kermit():
    # catalogue check value of CRC-16/KERMIT for "123456789" is 0x2189, sent little-endian
    assert mac.fcs(b"123456789") == bytes.fromhex("8921")


def test_interpan_mac_frame_control_matches_se_annex_b():
    bcast = mac.encode(interpan.mac_frame(7, 0xFFFF, 0xFFFF, False, 0x1234, TC, b""))
    uni = mac.encode(interpan.mac_frame(7, 0x1234, DEV, True, 0x1234, TC, b""))
    assert bcast[:2] == bytes.fromhex("01C8")          # 0xC801
    assert uni[:2] == bytes.fromhex("21CC")            # 0xCC01 + ack request 0x0020
    assert bcast[3:5] == b"\xff\xff" and bcast[7:9] == bytes.fromhex("3412") and bcast[9:17] == TC.to_bytes(8, "little")


@pytest.mark.parametrize("frame", [
    mac.MacFrame(mac.DATA, 9, dst_mode=mac.ADDR_SHORT, dst_pan=0x1234, dst=0x0000, src_mode=mac.ADDR_SHORT, src_pan=0x1234, src=0xF116,
                 pan_id_compression=True, ack_request=True, payload=b"\x08\x02"),
    mac.MacFrame(mac.COMMAND, 1, dst_mode=mac.ADDR_SHORT, dst_pan=0x1234, dst=0, src_mode=mac.ADDR_LONG,
                 src_pan=0xFFFF, src=DEV, payload=b"\x01\x8e"),
    mac.MacFrame(mac.ACK, 200),
    mac.MacFrame(mac.BEACON, 3, src_mode=mac.ADDR_SHORT, src_pan=0x1234, src=0, payload=b"\xff\xcf\x00\x00"),
])
def test_mac_round_trip(frame):
    assert mac.decode(mac.encode(frame)) == frame
    psdu = mac.encode(frame) + mac.fcs(mac.encode(frame))
    assert mac.decode_with_fcs(psdu) == frame


def test_mac_fcs_mismatch_is_typed():
    psdu = bytearray(mac.encode(mac.MacFrame(mac.ACK, 1)))
    psdu += mac.fcs(bytes(psdu))
    psdu[2] ^= 1
    with pytest.raises(InputError) as err:
        mac.decode_with_fcs(bytes(psdu))
    assert err.value.field == "fcs"


def test_mac_commands_and_beacon():
    req = mac.association_request(0x8E)
    assert mac.encode_command(req) == b"\x01\x8e"
    assert mac.parse_association_request(mac.decode_command(b"\x01\x8e")) == 0x8E
    rsp = mac.decode_command(mac.encode_command(mac.association_response(0xF116, mac.ASSOC_ACCESS_DENIED)))
    assert mac.parse_association_response(rsp) == (0xF116, 2)
    b = mac.Beacon(association_permit=True, payload=b"zb")
    raw = mac.encode_beacon(b)
    assert raw[:2] == bytes.fromhex("FFCF")           # BO=SO=15, final CAP 15, PAN coordinator, association permit
    assert mac.decode_beacon(raw) == b


def test_zigbee_beacon_payload_layout():
    raw = beacon.encode(beacon.ZigbeeBeacon(TC, depth=1))
    assert len(raw) == beacon.LENGTH
    assert raw[:3] == bytes([0x00, 0x22, 0x84 | (1 << 3)])
    assert raw[3:11] == TC.to_bytes(8, "little") and raw[11:14] == b"\xff\xff\xff"
    assert beacon.decode(raw).extended_pan_id == TC


def test_nwk_round_trip_with_options():
    f = nwk.NwkFrame(nwk.DATA, 0x0000, 0xF116, 17, radius=5, payload=b"abc", dst_ieee=TC, src_ieee=DEV,
                     source_route=[0x1111, 0x2222], relay_index=1, multicast_control=3)
    g = nwk.decode(nwk.encode(f))
    assert g == f and g.header == nwk.encode_header(f)


def test_aps_round_trips():
    frames = [
        aps.ApsFrame(aps.DATA, 5, dst_ep=1, cluster=0x0800, profile=0x0109, src_ep=2, payload=b"\x01\x02\x00",
                     ack_request=True),
        aps.ApsFrame(aps.DATA, 6, delivery=aps.GROUP, group=0x1234, cluster=6, profile=0x0104, src_ep=1),
        aps.ApsFrame(aps.COMMAND, 7, payload=b"\x08\x04"),
        aps.ApsFrame(aps.DATA, 8, dst_ep=1, cluster=1, profile=2, src_ep=3, extended=b"\x01\x00"),
    ]
    for f in frames:
        assert aps.decode(aps.encode(f)) == f
    ack = aps.ack_for(frames[0])
    assert (ack.dst_ep, ack.src_ep, ack.cluster, ack.counter) == (2, 1, 0x0800, 5)
    assert aps.decode(aps.encode(aps.ack_for(frames[2]))).ack_format


@pytest.mark.parametrize("cmd", [
    ac.TransportKey(ac.KEY_NETWORK, NK, dst=DEV, src=TC, seq=3),
    ac.TransportKey(ac.KEY_TC_LINK, LK, dst=DEV, src=TC),
    ac.TransportKey(ac.KEY_APP_LINK, LK, dst=DEV, initiator=True),
    ac.RequestKey(ac.REQUEST_TC_LINK), ac.RequestKey(ac.REQUEST_APP_LINK, DEV),
    ac.UpdateDevice(DEV, 0xF116, 1), ac.RemoveDevice(DEV), ac.SwitchKey(4),
    ac.VerifyKey(ac.KEY_TC_LINK, DEV, bytes(16)), ac.ConfirmKey(0, ac.KEY_TC_LINK, DEV),
])
def test_aps_command_round_trip(cmd):
    assert ac.decode(ac.encode(cmd)) == cmd


def test_transport_key_layout():
    raw = ac.encode(ac.TransportKey(ac.KEY_NETWORK, NK, dst=DEV, src=TC, seq=3))
    assert raw[:2] == b"\x05\x01" and raw[2:18] == NK and raw[18] == 3
    assert raw[19:27] == DEV.to_bytes(8, "little") and raw[27:35] == TC.to_bytes(8, "little")


def test_interpan_and_zcl_round_trip():
    f = interpan.InterPanFrame(0x0800, delivery=aps.GROUP, group=0x0102, payload=b"x")
    raw = interpan.encode(f)
    assert raw[:3] == bytes([0x0B, 0x00, 0x0F])
    assert interpan.decode(raw) == f
    z = zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, 9, 0, b"\x02\x00\x0b\x10", direction=zcl.SERVER_TO_CLIENT,
                     manufacturer=0x1234, disable_default_response=True)
    assert zcl.decode(zcl.encode(z)) == z
    assert zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, 1, 0))[:1] == b"\x01"


def test_nwk_and_aps_security_round_trip_and_wrong_key():
    inner = aps.ApsFrame(aps.DATA, 1, dst_ep=1, cluster=0x0702, profile=0x0109, src_ep=1, payload=b"hello")
    aps_bytes = security.secure_aps(inner, LK, security.KEY_DATA, 5, DEV)
    assert b"hello" not in aps_bytes
    nwk_bytes = security.secure_nwk(nwk.NwkFrame(nwk.DATA, 0, 0xF116, 1, payload=aps_bytes), NK, 0, 9, DEV)
    opened, aux = security.open_nwk(nwk_bytes, lambda seq: NK if seq == 0 else None)
    assert aux.frame_counter == 9 and aux.source == DEV.to_bytes(8, "little")
    a, _ = security.open_aps(opened.payload, LK)
    assert a.payload == b"hello" and a.cluster == 0x0702
    with pytest.raises(MicError):
        security.open_aps(opened.payload, bytes(16))
    with pytest.raises(InputError) as err:
        security.open_nwk(nwk_bytes, lambda seq: None)
    assert err.value.field == "key_seq"


def test_transport_key_needs_the_key_transport_key():
    tk = aps.ApsFrame(aps.COMMAND, 1, payload=ac.encode(ac.TransportKey(ac.KEY_NETWORK, NK, dst=DEV, src=TC)))
    raw = security.secure_aps(tk, LK, security.KEY_TRANSPORT, 1, TC)
    opened, aux = security.open_aps(raw, LK)
    assert aux.key_id == security.KEY_TRANSPORT and ac.decode(opened.payload).key == NK
    # the raw link key itself must not open it (the key-transport key is a hash of it)
    from harness.zse import frame_security as fs
    with pytest.raises(MicError):
        fs.unsecure(LK, raw, len(opened.header))


def test_secured_interpan_round_trip():
    raw = security.secure_interpan(interpan.InterPanFrame(0x0800, payload=b"\x01\x01\x00"), LK, 3, TC)
    assert interpan.decode(raw).security
    assert security.open_interpan(raw, LK, TC).payload == b"\x01\x01\x00"
    with pytest.raises(MicError):
        security.open_interpan(raw, LK, DEV)


SAMPLES = [
    mac.encode(mac.MacFrame(mac.DATA, 9, dst_mode=mac.ADDR_SHORT, dst_pan=1, dst=0, src_mode=mac.ADDR_LONG, src=DEV,
                            pan_id_compression=True, payload=b"")),
    nwk.encode(nwk.NwkFrame(nwk.DATA, 0, 1, 2, dst_ieee=TC, src_ieee=DEV, source_route=[1, 2])),
    aps.encode(aps.ApsFrame(aps.DATA, 5, dst_ep=1, cluster=1, profile=2, src_ep=3, extended=b"\x01\x00")),
    ac.encode(ac.TransportKey(ac.KEY_NETWORK, NK, dst=DEV, src=TC)),
    beacon.encode(beacon.ZigbeeBeacon(TC)),
    interpan.encode(interpan.InterPanFrame(0x0800, delivery=aps.GROUP, group=1)),
    zcl.encode(zcl.ZclFrame(1, 2, 3, manufacturer=5)),
]
DECODERS = [mac.decode, nwk.decode, aps.decode, ac.decode, beacon.decode, interpan.decode, zcl.decode]


@pytest.mark.parametrize("decode,sample", list(zip(DECODERS, SAMPLES)), ids=[d.__module__ for d in DECODERS])
def test_every_truncation_is_a_typed_error(decode, sample):
    decode(sample)
    for n in range(len(sample)):
        try:
            decode(sample[:n])
        except InputError as exc:
            assert exc.field and exc.offset is not None
        # a shorter prefix may still be a valid (smaller) frame: that is fine, it must just not crash otherwise


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_never_crash(data):
    for decode in DECODERS + [mac.decode_with_fcs, mac.decode_beacon]:
        try:
            decode(data)
        except InputError:
            pass


def test_truncated_transport_key_names_the_field():
    raw = ac.encode(ac.TransportKey(ac.KEY_NETWORK, NK, dst=DEV, src=TC))
    with pytest.raises(InputError) as err:
        ac.decode(raw[:20])
    assert err.value.field == "transport_key.dst" and err.value.offset == 19
