"""The DCC core reproduces RTDS commands byte for byte with the RTDS keys, and accepts RTDS responses/alerts."""
from __future__ import annotations

import pytest

from harness.dcc.core import DccCore
from harness.dcc.errors import Reason, Rejected
from harness.gbcs import security
from harness.gbcs.apdu import Message

from dcc_fixtures import ACB, CHF, GSME, SUPPLIER, counter_file


def _core(rtds_keys, tmp_path, **issued) -> DccCore:
    return DccCore(rtds_keys, counter_file(tmp_path / "counters.json", **issued))


def test_cs11_command_and_response(rtds_keys, rtds_hex, tmp_path):
    command = rtds_hex("3.3_CS11", "CS11_3.3_SUCCESS_COMMAND_GBCS.HEX")
    core = _core(rtds_keys, tmp_path, **{SUPPLIER.hex(): 0x3E7})
    sent = core.command(SUPPLIER, GSME, 0x0015, bytes.fromhex("0109010107090004 01000103"))
    assert sent.data == command  # the ACB MAC (ACB KA x GSME KA) is byte-identical
    received = core.receive(rtds_hex("3.3_CS11", "CS11_3.3_SUCCESS_RESPONSE_GBCS.HEX"))
    assert received.kind == "response" and received.command is sent and core.outstanding == []
    with pytest.raises(Rejected) as info:
        core.receive(rtds_hex("3.3_CS11", "CS11_3.3_SUCCESS_RESPONSE_GBCS.HEX"))
    assert info.value.reason is Reason.REPLAYED_COUNTER


def test_ecs70_critical_precommand_signature_and_command(rtds_keys, rtds_hex, tmp_path):
    precommand = rtds_hex("6.11_ECS70", "ECS70_6.11_SUCCESS_PRECOMMAND_GBCS.HEX")
    command = rtds_hex("6.11_ECS70", "ECS70_6.11_SUCCESS_COMMAND_GBCS.HEX")
    rtds_header = Message.decode(precommand).grouping
    core = _core(rtds_keys, tmp_path, **{rtds_header.originator.hex(): rtds_header.counter - 1})
    built = core.precommand(rtds_header.originator, rtds_header.recipient, rtds_header.message_code,
                            rtds_header.payload)
    assert built.encode() == precommand
    ours = core.sign(built)
    assert security.verify_signature(ours, rtds_keys.public_key(SUPPLIER, "ds"))
    # ECDSA is randomised: with the RTDS signature in place the ACB's output is the RTDS command exactly
    rtds_signature = Message.decode(command).grouping.signature
    sent = core.send(built.with_signature(rtds_signature), critical=True)
    assert sent.data == command
    assert core.receive(rtds_hex("6.11_ECS70", "ECS70_6.11_SUCCESS_RESPONSE_GBCS.HEX")).command is sent


def test_ccs01_acb_originated_with_supplementary_fields(rtds_keys, rtds_hex, tmp_path):
    command = rtds_hex("8.11_CCS01", "CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX")
    rtds = Message.decode(command).grouping
    assert rtds.originator == ACB and rtds.other_info.supplementary_remote_party_id == SUPPLIER
    core = _core(rtds_keys, tmp_path, **{ACB.hex(): rtds.counter - 1,
                                         SUPPLIER.hex(): rtds.other_info.supplementary_remote_party_counter - 1})
    prefix, rest = rtds.payload[:2], rtds.payload[5:]  # DLMS: D9 20 | low 24 bits of the counter | ...

    def payload(counter: int) -> bytes:
        return prefix + (counter & 0xFFFFFF).to_bytes(3, "big") + rest

    sent = core.acb_command(SUPPLIER, CHF, rtds.message_code, payload)
    assert sent.data == command
    assert len(sent.header.other_info.encode()) == 18
    assert core.receive(rtds_hex("8.11_CCS01", "CCS01_8.11_SUCCESS_RESPONSE_GBCS.HEX")).command is sent


def test_rtds_alerts(rtds_keys, rtds_hex, tmp_path):
    core = _core(rtds_keys, tmp_path)
    noncritical = rtds_hex("NA_CS14", "CS14_NA_8F12_ALERT_GBCS.HEX")
    assert core.receive(noncritical).kind == "alert"
    with pytest.raises(Rejected) as info:
        core.receive(noncritical)
    assert info.value.reason is Reason.REPLAYED_COUNTER
    critical = rtds_hex("11.3_CS06", "CS06_11.3_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX")
    assert Message.decode(critical).mac is None
    assert core.receive(critical).header.signature


def test_response_without_outstanding_command_is_unmatched(rtds_keys, rtds_hex, tmp_path):
    with pytest.raises(Rejected) as info:
        _core(rtds_keys, tmp_path).receive(rtds_hex("3.3_CS11", "CS11_3.3_SUCCESS_RESPONSE_GBCS.HEX"))
    assert info.value.reason is Reason.UNMATCHED
