"""ZCL OTA cluster codec (harness/zigbee/ota.py): round trips, and zigpy's OTA cluster schemas read our bytes."""
from __future__ import annotations

import pytest
from zigpy.zcl.clusters.general import Ota

from harness.errors import InputError
from harness.zigbee import ota, zcl

SAMPLES = [
    ota.ImageNotify(ota.WITH_FILE_VERSION, 100, 0x1234, 1, 0x200),
    ota.ImageNotify(ota.JITTER_ONLY, 50),
    ota.QueryNextImageRequest(0x1234, 1, 0x100, 0x0010),
    ota.QueryNextImageRequest(0x1234, 1, 0x100),
    ota.QueryNextImageResponse(ota.SUCCESS, 0x1234, 1, 0x200, 204800),
    ota.QueryNextImageResponse(ota.NO_IMAGE_AVAILABLE),
    ota.ImageBlockRequest(0x1234, 1, 0x200, 4096, 64),
    ota.ImageBlockRequest(0x1234, 1, 0x200, 4096, 64, 0x00DB1234567890A0, 250),
    ota.ImageBlockResponse(ota.SUCCESS, 0x1234, 1, 0x200, 4096, bytes(range(64))),
    ota.ImageBlockResponse(ota.WAIT_FOR_DATA, current_time=100, request_time=130, minimum_block_period=0),
    ota.ImageBlockResponse(ota.ABORT),
    ota.UpgradeEndRequest(ota.SUCCESS, 0x1234, 1, 0x200),
    ota.UpgradeEndResponse(0x1234, 1, 0x200, 0, ota.UPGRADE_LATER),
]


@pytest.mark.parametrize("command", SAMPLES, ids=lambda c: type(c).__name__)
def test_round_trip(command):
    frame = ota.encode(command, 7)
    assert ota.decode(frame) == (7, command)


def test_zigpy_reads_the_requests_and_responses():
    q = ota.QueryNextImageRequest(0x1234, 1, 0x100, 0x0010)
    theirs, rest = Ota.ServerCommandDefs.query_next_image.schema.deserialize(ota.encode_payload(q))
    assert rest == b"" and (theirs.manufacturer_code, theirs.current_file_version, theirs.hardware_version) == \
        (0x1234, 0x100, 0x10)
    b = ota.ImageBlockRequest(0x1234, 1, 0x200, 4096, 64, minimum_block_period=250)
    theirs, rest = Ota.ServerCommandDefs.image_block.schema.deserialize(ota.encode_payload(b))
    assert rest == b"" and (theirs.file_offset, theirs.maximum_data_size, theirs.minimum_block_period) == \
        (4096, 64, 250)
    block = ota.ImageBlockResponse(ota.SUCCESS, 0x1234, 1, 0x200, 4096, b"abc")
    theirs, rest = Ota.ClientCommandDefs.image_block_response.schema.deserialize(ota.encode_payload(block))
    assert rest == b"" and theirs.file_offset == 4096 and theirs.image_data == b"abc"
    wait = ota.ImageBlockResponse(ota.WAIT_FOR_DATA, current_time=100, request_time=130)
    theirs, rest = Ota.ClientCommandDefs.image_block_response.schema.deserialize(ota.encode_payload(wait))
    assert rest == b"" and (theirs.current_time, theirs.request_time) == (100, 130)
    end = ota.UpgradeEndResponse(0x1234, 1, 0x200, 0, ota.UPGRADE_LATER)
    theirs, rest = Ota.ClientCommandDefs.upgrade_end_response.schema.deserialize(ota.encode_payload(end))
    assert rest == b"" and theirs.upgrade_time == ota.UPGRADE_LATER


@pytest.mark.parametrize("frame", [
    bytes([0x01, 1, ota.IMAGE_BLOCK_REQUEST, 0, 0x34]),                           # truncated
    ota.encode(ota.UpgradeEndRequest(0, 1, 1, 1), 1) + b"\x00",                    # trailing octet
    bytes([0x19, 1, ota.IMAGE_NOTIFY, 7, 100]),                                   # reserved payload type
    bytes([0x01, 1, 0x0A]),                                                       # unknown command
    zcl.read_attributes(1, [0]),                                                  # a global command
])
def test_malformed_frames_are_input_errors(frame):
    with pytest.raises(InputError):
        ota.decode(frame)
