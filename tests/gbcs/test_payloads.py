"""Payload codecs: GBZ, DLMS and ASN.1 structures, lossless re-encoding and typed errors."""
from __future__ import annotations

import pytest

from harness.gbcs.asn1 import Asn1Payload
from harness.gbcs.dlms import Data, DlmsPayload, read_data
from harness.gbcs.ber import Reader
from harness.gbcs.errors import PayloadError
from harness.gbcs.gbz import GbzPayload

# bytes taken from the layouts in gbcs.md 1.6 and 2.6
CS11 = bytes.fromhex("010901010709000401000103")
FROM_DATE_TIME = bytes.fromhex("010901110705000D1C0E6C0001000A00F9351C0A02")
ALERT = bytes.fromhex("010900810E1C374A80")
ECS70 = bytes.fromhex("D9200003E800050200080000010000FF090300080000010000FF050300080000010000FF0401000800000100"
                      "00FF020100080000010000FF040516050203090CFFFFFFFFFFFFFFFFFF8000FF090C07DE0C1FFF173B0A008000"
                      "FF090C07DF0101FF00000A008000FF0F000000")
RESPONSE = bytes.fromhex("DA200005150000020000020301 03FA".replace(" ", ""))
NOTIFICATION = bytes.fromhex("0F20000FA0000203128F20090C07DF0101FF000000008000FF090800DB1234567890A1")


def test_gbz_components():
    p = GbzPayload.decode(CS11)
    c = p.components[0]
    assert (p.count, c.cluster, c.command, c.zcl_payload, c.control) == (1, 0x0709, 0x01, b"\x03", 1)
    assert p.encode() == CS11


def test_gbz_from_date_time_is_inside_the_component_length():
    p = GbzPayload.decode(FROM_DATE_TIME)
    c = p.components[0]
    assert c.from_date_time == 0x1C0E6C00 and c.cluster == 0x0705 and c.command == 0x0A
    assert c.zcl_payload == bytes.fromhex("00F9351C0A02") and p.encode() == FROM_DATE_TIME


def test_gbz_alert_form():
    p = GbzPayload.decode(ALERT, alert=True)
    assert (p.alert_code, p.alert_time, p.components) == (0x810E, 0x1C374A80, [])
    assert p.encode() == ALERT


def test_gbz_truncated_component():
    with pytest.raises(PayloadError) as err:
        GbzPayload.decode(CS11[:-1])
    assert err.value.field.startswith("gbz.component[0]")


def test_dlms_access_request():
    p = DlmsPayload.decode(ECS70)
    assert p.invoke_id == 0x200003E8 and [s.kind for s in p.specs] == [2, 3, 3, 1, 1]
    assert p.specs[0].class_id == 8 and p.specs[0].instance_id.hex() == "0000010000ff" and p.specs[0].member_id == 9
    assert [d.type_name for d in p.data] == ["enum", "structure", "integer", "null-data", "null-data"]
    assert p.encode() == ECS70


def test_dlms_access_response_and_notification():
    r = DlmsPayload.decode(RESPONSE)
    assert r.request_specs is None and r.results == [(3, 1), (3, 0xFA)] and r.encode() == RESPONSE
    n = DlmsPayload.decode(NOTIFICATION)
    body = n.data[0]
    assert body.type_name == "structure" and body.value[0].value == 0x8F20 and n.encode() == NOTIFICATION


@pytest.mark.parametrize("hexdata, value", [
    ("0F80", -128), ("10FFFE", -2), ("1200FF", 255), ("0600000100", 256), ("0300", 0),
    ("0A03414243", b"ABC"), ("040A FFC0".replace(" ", ""), b"\xff\xc0"), ("FF", None),
])
def test_dlms_data_types_round_trip(hexdata, value):
    raw = bytes.fromhex(hexdata)
    d = read_data(Reader(raw))
    assert d.value == value and d.encode() == raw


def test_dlms_rejects_unknown_type_and_huge_counts():
    with pytest.raises(PayloadError):
        read_data(Reader(bytes.fromhex("20"), error=PayloadError))
    with pytest.raises(PayloadError):
        DlmsPayload.decode(bytes.fromhex("0F2000000100 0182FFFF".replace(" ", "")))


def test_asn1_tree_and_non_minimal_lengths():
    raw = bytes.fromhex("30820009020103040401020304")
    p = Asn1Payload.decode(raw)
    seq = p.elements[0]
    assert seq.constructed and [c.tag for c in seq.children] == [b"\x02", b"\x04"]
    assert p.encode() == raw and p.to_json()["elements"][0]["children"][0]["int"] == 3
    assert Asn1Payload.decode(b"\x05\x00").encode() == b"\x05\x00"


def test_asn1_errors():
    for bad in ("3005020101", "", "1F", "30" * 40 + "00" * 40):
        with pytest.raises(PayloadError):
            Asn1Payload.decode(bytes.fromhex(bad))


def test_data_json_is_serialisable():
    import json
    json.dumps(DlmsPayload.decode(ECS70).to_json())
    assert Data(0x09, b"\x01").to_json() == {"type": "octet-string", "value": "01"}
