"""Building, signing, MAC'ing and encrypting messages with the codec's builder API (no shared data needed)."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from harness.errors import InputError
from harness.gbcs import security
from harness.gbcs.apdu import CRA_COMMAND, CRA_RESPONSE, GroupingHeader, Message, OtherInfo
from harness.gbcs.errors import FramingError
from harness.gbcs.keystore import MemoryKeyStore
from harness.gbcs.verify import ABSENT, INVALID, UNVERIFIABLE, VALID, verify

ACB = bytes.fromhex("ABABABABABABABAB")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
DEVICE = bytes.fromhex("123456789ABCDEF0")
PAYLOAD = bytes.fromhex("0109010107090004010001" "03")


def _keys() -> tuple[MemoryKeyStore, dict]:
    store, private = MemoryKeyStore(), {}
    for eui in (ACB, SUPPLIER, DEVICE):
        for usage in ("ka", "ds"):
            key = ec.generate_private_key(ec.SECP256R1())
            store.add(eui, usage, key)
            private[(eui, usage)] = key
    return store, private


def _command(other: OtherInfo | None = None) -> GroupingHeader:
    return GroupingHeader(CRA_COMMAND, 0x3E8, SUPPLIER, DEVICE, None, other or OtherInfo(0x0015), PAYLOAD, None)


@pytest.mark.parametrize("other", [
    OtherInfo(0x0015),
    OtherInfo(0x0123, DEVICE),
    OtherInfo(0x0001, SUPPLIER, 0x3EA),
    OtherInfo(0x0034, SUPPLIER, 0x3EC, supplementary_originator_counter=0x7D2),
    OtherInfo(0x0034, SUPPLIER, 0x3EC, ka_certificate=bytes(range(256)) + b"\x30" * 150),
])
def test_other_information_variants_round_trip(other):
    header = _command(other).with_signature(b"")
    assert GroupingHeader.decode(header.encode()) == header
    assert OtherInfo.decode(other.encode()) == other


def test_other_information_rejects_bad_lengths():
    for n in (0, 1, 3, 9, 11, 17, 19, 25):
        with pytest.raises(FramingError) as err:
            OtherInfo.decode(bytes(n))
        assert err.value.field == "other_information"


def test_signed_and_maced_command_verifies():
    store, private = _keys()
    pre = _command()
    assert pre.encode()[1:] == pre.signed_span()
    signed = security.sign_precommand(pre.encode(), private[(SUPPLIER, "ds")])
    header = GroupingHeader.decode(signed)
    message = security.apply_mac(header, private[(ACB, "ka")], store.public_key(DEVICE, "ka"))
    raw = message.encode()
    assert raw[0] == 0xDD and Message.decode(raw) == message
    result = verify(raw, store, acb=ACB)
    assert (result.signature, result.mac, result.message.kind) == (VALID, VALID, "command")
    assert security.check_mac(message, private[(DEVICE, "ka")], store.public_key(ACB, "ka"))
    # the MAC is bound to the ACB: verifying with another ACB EUI fails
    assert verify(raw, store, acb=SUPPLIER).mac == INVALID


def test_null_signature_precommand_is_resigned():
    store, private = _keys()
    legacy = _command().with_signature(b"").encode()
    signed = GroupingHeader.decode(security.sign_precommand(legacy, private[(SUPPLIER, "ds")]))
    assert verify(Message(signed), store).signature == VALID
    with pytest.raises(FramingError):
        security.sign_precommand(signed.encode(), private[(SUPPLIER, "ds")])


def test_missing_keys_are_unverifiable_not_valid():
    store, private = _keys()
    header = security.sign_grouping(_command(), private[(SUPPLIER, "ds")])
    raw = security.apply_mac(header, private[(ACB, "ka")], store.public_key(DEVICE, "ka")).encode()
    result = verify(raw, MemoryKeyStore(), acb=ACB)
    assert (result.signature, result.mac) == (UNVERIFIABLE, UNVERIFIABLE)
    assert verify(_command().encode(), store).signature == ABSENT


def test_response_mac_and_encrypted_gbz_component():
    store, private = _keys()
    header = GroupingHeader(CRA_RESPONSE, 0x3E8, DEVICE, SUPPLIER, None, OtherInfo(0x0074), b"", b"")
    key = security.encryption_key(security.crypto.ecdh_z(private[(DEVICE, "ka")], store.public_key(SUPPLIER, "ka")),
                                  header)
    block = security.encrypt_block(key, DEVICE, b"secret reading")
    body = bytes([0, 0, 0x18, 0, 1]) + len(block).to_bytes(2, "big") + block
    payload = bytes.fromhex("01090103 0702") + len(body).to_bytes(2, "big") + body
    header = GroupingHeader(CRA_RESPONSE, 0x3E8, DEVICE, SUPPLIER, None, OtherInfo(0x0074), payload, b"")
    raw = security.apply_mac(header, private[(DEVICE, "ka")], store.public_key(SUPPLIER, "ka")).encode()
    result = verify(raw, store)
    assert result.mac == VALID and result.payload.decryption == VALID
    assert list(result.payload.plaintexts.values()) == [b"secret reading"]
    tampered = bytearray(block)
    tampered[7] ^= 1
    assert security.decrypt_block(key, DEVICE, block) == b"secret reading"
    with pytest.raises(security.crypto.DecryptionFailed):
        security.decrypt_block(key, DEVICE, bytes(tampered))


@pytest.mark.parametrize("raw, field", [
    (b"", "tag"),
    (b"\x42", "tag"),
    (bytes.fromhex("DF0801"), "transaction_id"),
    (bytes.fromhex("DF0904"), "transaction_id.cra"),
    (bytes.fromhex("DF090100000000000003E80790B3D51F300100"), "originator_system_title"),
    (bytes.fromhex("DD0100"), "transaction_id"),
    (bytes.fromhex("DD000000000000051100000000"), "mac_header.ciphered_length"),
])
def test_malformed_framing_names_the_field(raw, field):
    with pytest.raises(InputError) as err:
        Message.decode(raw)
    assert err.value.field == field


def test_builder_rejects_bad_values():
    with pytest.raises(ValueError):
        GroupingHeader(4, 1, SUPPLIER, DEVICE, None, OtherInfo(1), b"")
    with pytest.raises(ValueError):
        GroupingHeader(1, 1, SUPPLIER[:7], DEVICE, None, OtherInfo(1), b"")
    with pytest.raises(ValueError):
        GroupingHeader(1, 1, SUPPLIER, DEVICE, None, OtherInfo(1), b"", b"\x01")
    with pytest.raises(ValueError):
        OtherInfo(1, None, 5)
