"""Use-case names for every RTDS message, and section-8 encrypted blocks inside alerts (gbcs.md 1.8, 2.6)."""
from __future__ import annotations

from harness.gbcs import crypto, security
from harness.gbcs.apdu import CRA_ALERT, GroupingHeader, Message, OtherInfo
from harness.gbcs.dlms import Data, DlmsPayload
from harness.gbcs.usecases import use_case
from harness.gbcs.verify import verify

SUPPLIER = bytes.fromhex("90B3D51F30010000")
ESME = bytes.fromhex("00DB1234567890A0")
ECS68 = 0x0061


def test_every_visible_rtds_message_has_a_use_case_name(rtds):
    unnamed = {name for name, data in rtds.items() if use_case(Message.decode(data).grouping.message_code) is None}
    assert not unnamed, sorted(unnamed)


def test_codes_named_by_the_parser_table_beyond_the_visible_rtds():
    assert [use_case(c) for c in (0x00A2, 0x00A3, 0x001A, 0x010A, 0x010E, 0x010F, 0x008B, 0x0061, 0x0067)] == \
        ["ECS01b", "GCS01b", "ECS02", "DBCH01", "DBCH05", "CCS06", "GCS53", "ECS68", "ECS80"]


def test_encrypted_block_inside_an_alert_is_decrypted(keystore):
    # An ECS68-style critical alert: a data-notification whose billing data travels encrypted to the supplier
    # (KA ESME x KA supplier, KDF with 04, the alert counter, the supplier as recipient).
    counter = 0x07D1
    plaintext = Data(0x02, [Data(0x06, 1234), Data(0x06, 5678)]).encode()
    z = crypto.ecdh_z(keystore.private_key(SUPPLIER, "ka"), keystore.public_key(ESME, "ka"))
    header = GroupingHeader(CRA_ALERT, counter, ESME, SUPPLIER, None, OtherInfo(ECS68), b"", signature=b"")
    block = security.encrypt_block(security.encryption_key(z, header), ESME, plaintext)
    body = Data(0x02, [Data(0x12, 0x8F0A), Data(0x09, block)])
    content = DlmsPayload(0x0F, 0x20000000 | counter, b"", data=[body]).encode()
    alert = Message(GroupingHeader(CRA_ALERT, counter, ESME, SUPPLIER, None, OtherInfo(ECS68), content,
                                   signature=b""))

    result = verify(alert.encode(), keystore)

    assert result.payload.decryption == "valid"
    assert list(result.payload.plaintexts.values()) == [plaintext]
    tampered = alert.encode()[:-3] + bytes([alert.encode()[-3] ^ 1]) + alert.encode()[-2:]
    assert verify(tampered, keystore).payload.decryption == "invalid"
