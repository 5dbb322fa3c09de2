"""The GSME's mirror frames (ZSE Metering RequestMirror / RequestMirrorResponse / ConfigureMirror / Report Attributes)
and the DCC's GCS13a against their rules; the GCS13a command is RTDS 4.1.1's content byte for byte."""
from __future__ import annotations

import pytest

from harness.dcc.gas_reads import gas_register, gcs13a_payload
from harness.errors import ConformanceFailure, InputError
from harness.gbcs.apdu import Message
from harness.zigbee import mirror


def test_request_mirror_and_its_response_have_the_zse_layout():
    # server -> client (the GSME is the Metering server), cluster-specific, default response disabled; 0x01
    assert mirror.encode(4, mirror.RequestMirror()) == bytes([0x19, 4, 0x01])
    # client -> server 0x01 {endpoint u16}
    assert mirror.encode(5, mirror.RequestMirrorResponse(2)) == bytes([0x11, 5, 0x01, 0x02, 0x00])


@pytest.mark.parametrize("command", [
    mirror.RequestMirror(),
    mirror.RequestMirrorResponse(mirror.NO_MIRROR),
    mirror.ConfigureMirror(1, 30, True, 1),
    mirror.Report({mirror.SUMMATION: (1 << 48) - 1, mirror.UNIT: 0, mirror.MULTIPLIER: 1, mirror.DIVISOR: 1000}),
])
def test_every_command_round_trips(command):
    assert mirror.decode(mirror.encode(9, command)) == (9, command)


@pytest.mark.parametrize("frame", [
    bytes([0x19, 1, 0x08, 1, 0, 0, 0, 30, 0]),        # ConfigureMirror cut short
    bytes([0x11, 1, 0x01, 0x02]),                     # RequestMirrorResponse cut short
    bytes([0x18, 1, 0x0A, 0x00, 0x00, 0x41, 0x01]),   # a report of a variable-length type
    bytes([0x19, 1, 0x05]),                           # not a mirror command
    bytes([0x19, 1, 0x01, 0x00]),                     # RequestMirror with a payload
])
def test_malformed_frames_are_typed_errors(frame):
    with pytest.raises(InputError):
        mirror.decode(frame)


def test_gcs13a_command_is_the_rtds_content(shared):
    path = shared("rtds", "RTDS-4.5.0") / "4.1.1_GCS13a" / "GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_COMMAND_GBCS.HEX"
    rtds = Message.decode(bytes.fromhex("".join(path.read_text().split()))).grouping
    assert gcs13a_payload() == rtds.payload


def test_a_gcs13a_response_in_clear_is_a_conformance_failure(shared):
    path = shared("rtds", "RTDS-4.5.0") / "4.1.1_GCS13a" / "GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_COMMAND_GBCS.HEX"
    command = Message.decode(bytes.fromhex("".join(path.read_text().split()))).grouping
    with pytest.raises(ConformanceFailure, match="one encrypted Metering component"):
        gas_register(command, keys=None)  # the command's clear Read Attributes where an encrypted answer belongs


def test_the_rtds_gcs13a_response_reads_as_a_gas_register(shared):
    from harness.gbcs.keystore import DirectoryKeyStore

    path = shared("rtds", "RTDS-4.5.0") / "4.1.1_GCS13a" / "GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_RESPONSE_GBCS.HEX"
    response = Message.decode(bytes.fromhex("".join(path.read_text().split()))).grouping
    register = gas_register(response, DirectoryKeyStore(shared("rtds", "keystore")))
    assert register.divisor > 0 and register.multiplier > 0
