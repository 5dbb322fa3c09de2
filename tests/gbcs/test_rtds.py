"""The codec and verifier against every visible RTDS file."""
from __future__ import annotations

from harness.gbcs.apdu import Message
from harness.gbcs.payload import decode_body
from harness.gbcs.verify import ABSENT, UNVERIFIABLE, VALID, verify


def test_every_file_decodes_and_round_trips(rtds):
    assert len(rtds) > 100
    for name, raw in rtds.items():
        message = Message.decode(raw)
        assert message.encode() == raw, name
        assert decode_body(message.grouping).encode() == message.grouping.payload, name


def test_kinds_follow_file_names(rtds):
    for name, raw in rtds.items():
        kind = name.split("_GBCS")[0].rsplit("_", 1)[-1].lower()
        if kind in ("command", "response", "alert", "precommand"):
            assert Message.decode(raw).kind == kind, name


def test_every_signature_and_mac_verifies(rtds, keystore):
    signatures = macs = 0
    for name, raw in rtds.items():
        result = verify(raw, keystore)
        assert not result.errors, (name, result.errors)
        assert result.signature in (VALID, ABSENT), name
        if result.message.mac is None:
            assert result.mac == ABSENT
        elif name.startswith("PCS"):
            # HAN-only PPMID -> GSME traffic: no device KA private key in the RTDS keystore
            assert result.mac == UNVERIFIABLE, name
        else:
            assert result.mac == VALID, name
        signatures += result.signature == VALID
        macs += result.mac == VALID
        if result.message.kind == "precommand":
            assert result.signature == ABSENT
        elif result.message.mac is None:
            assert result.signature == VALID, name
    assert signatures > 50 and macs > 200


def test_encrypted_content_decrypts(rtds, keystore):
    decrypted = 0
    for name, raw in rtds.items():
        payload = verify(raw, keystore).payload
        assert payload.decryption in ("absent", "valid"), name
        decrypted += len(payload.plaintexts)
    assert decrypted >= 20


def test_precommand_plus_signature_is_the_command(rtds):
    pairs = 0
    for name, raw in rtds.items():
        if "_PRECOMMAND_" not in name:
            continue
        command = Message.decode(rtds[name.replace("_PRECOMMAND_", "_COMMAND_")])
        assert Message.decode(raw).grouping == command.grouping.precommand(), name
        assert raw + command.grouping.signature_field() == command.grouping.encode(), name
        pairs += 1
    assert pairs > 20


def test_responses_echo_the_command_counter(rtds):
    for name, raw in rtds.items():
        if "_RESPONSE_" not in name or name.replace("_RESPONSE_", "_COMMAND_") not in rtds:
            continue
        response = Message.decode(raw).grouping
        command = Message.decode(rtds[name.replace("_RESPONSE_", "_COMMAND_")]).grouping
        assert (response.counter, response.originator, response.recipient) == (
            command.counter, command.recipient, command.originator), name
