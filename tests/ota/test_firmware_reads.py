"""The inferred firmware layouts, one side against the other: SRV 11.2 reads (ECS52 DLMS, GCS38 GBZ) and the PPMID's CS08 as the DCC core
builds and parses them against the board's answers (firmware/ota_gbcs.py), and the GBZ receipt 0x00CF as the
harness's GBZ decoder reads it; malformed answers are the device's fault (ConformanceFailure), never a crash."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from firmware import ota_gbcs
from firmware.gbcs.errors import ParseError
from harness.dcc.firmware import (CS08_COMMAND, activation_report, cs08_version, ecs52_payload, ecs52_version, gcs38_payload,
                                  gcs38_version)
from harness.errors import ConformanceFailure
from harness.gbcs.gbz import GbzPayload

OTA = SimpleNamespace(file_version=lambda: 0x00000200)


def command(content: bytes, counter: int = 7):
    return SimpleNamespace(content=content, counter=counter.to_bytes(8, "big"))


def test_ecs52_reads_the_running_version():
    assert ecs52_version(ota_gbcs.ecs52(OTA, command(ecs52_payload(7)))) == bytes.fromhex("00000200")


def test_gcs38_reads_the_running_version():
    assert gcs38_version(ota_gbcs.gcs38(OTA, command(gcs38_payload(7)))) == bytes.fromhex("00000200")


def test_cs08_reads_the_running_version():
    assert cs08_version(ota_gbcs.cs08(OTA, command(CS08_COMMAND))) == (bytes.fromhex("00000200"), 0)


def test_gcs38_for_another_cluster_is_refused_by_the_device():
    other = bytearray(gcs38_payload(7))
    other[4:6] = b"\x07\x05"  # the component's cluster: Prepayment, not OTA
    with pytest.raises(ParseError):
        ota_gbcs.gcs38(OTA, command(bytes(other)))


@pytest.mark.parametrize("answer", [b"", b"\x01\x09\x00", b"\x30\x06\x04\x01\x02\x02\x01\x00", b"\x01\x09\x01\x01\x00\x19\x00\x03\x08\x00\x01",
                                    b"\x01\x09\x01\x01\x00\x19\x00\x0A\x08\x00\x01\x02\x00\x00\x20\x00\x02\x00"])
def test_malformed_version_answers_are_the_devices_fault(answer):
    with pytest.raises(ConformanceFailure):
        gcs38_version(answer)
    with pytest.raises(ConformanceFailure):
        ecs52_version(answer)
    with pytest.raises(ConformanceFailure):
        cs08_version(answer)


def test_gbz_receipt_carries_the_hash_last():
    image_hash = bytes(range(32))
    alert = GbzPayload.decode(ota_gbcs.fdra_gbz(946684800000 + 5000, 0x8F72, image_hash), alert=True)
    assert (alert.alert_code, alert.alert_time, alert.alert_data) == (0x8F72, 5, image_hash)


def test_activation_alert_reads_back():
    assert activation_report(ota_gbcs.activation_alert(0x8F66, 1767225600000, 1000, 0, 0x200)) == \
        (0x8F66, 0, bytes.fromhex("00000200"))
    with pytest.raises(ConformanceFailure):
        activation_report(ota_gbcs.outcome_sequence(0, 0x200))
