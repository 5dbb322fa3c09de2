"""The board's image checks (firmware/ota_image.py) read what the host's builder (harness/ota/image.py) makes:
one LAYOUT, two implementations, checked against each other."""
from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from firmware import ota_image
from harness.ota import emulated
from harness.ota.image import OtaHeader, build, parse
from harness.smki.cpl import signer_id

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
OWN = {"manufacturer": 0x1234, "image_type": 1, "hardware": 0x10, "signer": signer_id(0x1234)}


def test_board_checks_a_host_built_image(tmp_path):
    body = emulated.manufacturer_image("0.2.0", 5000, defects=("no_anti_replay",))
    data = build(OtaHeader(0x1234, 1, 0x200, "x", hardware_min=1, hardware_max=0x20), body, signer_id(0x1234), KEY)
    path = tmp_path / "slot"
    path.write_bytes(data)
    found = ota_image.check(str(path), OWN, PUBLIC)
    assert found["hash"] == parse(data).manufacturer_image_hash
    assert found["manifest"] == {"version": "0.2.0", "defects": ["no_anti_replay"]}
    assert found["header"]["file_version"] == 0x200 and found["size"] == len(body)
    assert ota_image.image_hash(str(path), found["offset"], found["size"]) == found["hash"]
    for hw, reason in ((0x30, "hardware"), (0x10, None)):
        try:
            ota_image.check(str(path), dict(OWN, hardware=hw), PUBLIC)
        except ota_image.ImageInvalid as e:
            assert e.reason == reason
        else:
            assert reason is None
    path.write_bytes(data[:-3] + bytes(3))
    try:
        ota_image.check(str(path), OWN, PUBLIC)
    except ota_image.ImageInvalid as e:
        assert e.reason == "signature"
    else:
        raise AssertionError("a broken signature passed")
