"""GB OTA images (harness/ota/image.py): build/parse round trip, a plain ZigBee OTA parser reads them, every
malformed header kind is a typed error, and `rig firmware image build/show` agree."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec
from zigpy.ota.image import parse_ota_image

from harness.errors import InputError
from harness.ota import emulated
from harness.ota.image import KINDS, ImageError, OtaHeader, build, manufacturer_image_hash, parse, parse_header
from harness.smki.cpl import Cpl, manufacturer_key, signer_id
from rig.cli import main

KEY = ec.generate_private_key(ec.SECP256R1())
HEADER = OtaHeader(0x1234, 0x0001, 0x00000200, "ESME 0.2.0", hardware_min=0x0010, hardware_max=0x0020)


def sample(header: OtaHeader = HEADER, body: bytes = b"firmware" * 100) -> bytes:
    return build(header, body, signer_id(header.manufacturer), KEY)


def test_round_trip_keeps_every_field_and_verifies():
    body = emulated.manufacturer_image("0.2.0", 3000)
    data = sample(body=body)
    image = parse(data)
    assert image.header.manufacturer == 0x1234 and image.header.image_type == 1
    assert image.header.file_version == 0x200 and image.header.stack_version == 2
    assert image.header.header_string == "ESME 0.2.0"
    assert (image.header.hardware_min, image.header.hardware_max) == (0x10, 0x20)
    assert image.header.total_size == len(data) and image.header.length == 60
    assert image.manufacturer_image == body
    assert image.manufacturer_image_hash == manufacturer_image_hash(body) != bytes(32)
    assert image.signer == signer_id(0x1234)
    assert image.signature_valid(KEY.public_key())
    assert not image.signature_valid(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert build(image.header, body, image.signer, KEY)[:60] == data[:60]


def test_optional_fields_round_trip():
    header = OtaHeader(0xBEEF, 0x0042, 1, "x", security_credential_version=3, destination=0x00DB1234567890A0)
    image = parse(sample(header))
    assert image.header.security_credential_version == 3 and image.header.destination == 0x00DB1234567890A0
    assert image.header.hardware_min is None and image.header.length == 65


def test_a_plain_zigbee_ota_parser_reads_the_file():
    """zigpy's own OTA parser (written from the ZigBee spec, not by us) agrees on the header and sub-elements."""
    data = sample()
    theirs, rest = parse_ota_image(data)
    assert rest == b""
    assert theirs.header.manufacturer_id == 0x1234 and theirs.header.image_type == 1
    assert theirs.header.file_version == 0x200 and theirs.header.image_size == len(data)
    assert theirs.header.minimum_hardware_version == 0x10 and theirs.header.maximum_hardware_version == 0x20
    assert [e.tag_id for e in theirs.subelements] == [0x0000, 0xF000]
    assert theirs.subelements[0].data == parse(data).manufacturer_image


def test_a_tampered_byte_breaks_the_signature_not_the_parse():
    data = bytearray(sample())
    data[100] ^= 1
    assert not parse(bytes(data)).signature_valid(KEY.public_key())


def _patched(offset: int, value: bytes, data: bytes | None = None) -> bytes:
    data = bytearray(data or sample())
    data[offset:offset + len(value)] = value
    return bytes(data)


def _sub(tag: int, body: bytes) -> bytes:
    return tag.to_bytes(2, "little") + len(body).to_bytes(4, "little") + body


def _reframed(subs: bytes, header: OtaHeader = HEADER) -> bytes:
    """A header whose total size fits `subs` (so only the sub-element problem remains)."""
    head = OtaHeader(**{**header.__dict__, "total_size": header.length + len(subs)}).encode()
    return head + subs


SIG = _sub(0xF000, bytes(72))
MALFORMED = {
    "truncated": sample()[:40],
    "file_identifier": _patched(0, b"\x00\x00\x00\x00"),
    "header_version": _patched(4, b"\x00\x02"),
    "header_length": _patched(6, (61).to_bytes(2, "little")),
    "field_control": _patched(8, b"\x08\x00"),
    "header_string": _patched(20, b"\xff\xfe"),
    "total_size": _patched(52, (10).to_bytes(4, "little")),
    "hardware_range": _patched(56, b"\x30\x00\x20\x00"),
    "sub_element": _reframed(_sub(0x0000, b"abc")[:-1] + b"\xff\xff\xff"),
    "no_upgrade_image": _reframed(SIG),
    "no_signature": _reframed(_sub(0x0000, b"abc")),
    "signature_not_last": _reframed(SIG + _sub(0x0000, b"abc")),
    "duplicate_sub_element": _reframed(_sub(0x0000, b"a") + _sub(0x0000, b"b") + SIG),
    "signature_length": _reframed(_sub(0x0000, b"abc") + _sub(0xF000, bytes(71))),
}


def test_every_kind_has_a_malformed_sample():
    assert set(MALFORMED) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_image_is_a_typed_error(kind):
    with pytest.raises(ImageError) as info:
        parse(MALFORMED[kind])
    assert info.value.kind == kind and isinstance(info.value, InputError)


def test_header_only_parse_and_a_file_shorter_than_its_total_size():
    data = sample()
    assert parse_header(data[:60]).total_size == len(data)
    with pytest.raises(ImageError) as info:
        parse(data[:-1])
    assert info.value.kind == "total_size"


def test_cli_show_parses_what_build_makes(tmp_path):
    runner = CliRunner()
    out = tmp_path / "esme.ota"
    smki = tmp_path / "smki"
    built = runner.invoke(main, ["firmware", "image", "build", str(out), "--manufacturer", "0x1234",
                                 "--image-type", "0x0001", "--file-version", "0x00000200", "--hw-min", "1",
                                 "--hw-max", "3", "--emulated-version", "0.2.0", "--size", "4096",
                                 "--smki", str(smki), "--add-to-cpl", "--header-string", "ESME", "--json"])
    assert built.exit_code == 0, built.output
    shown = runner.invoke(main, ["firmware", "image", "show", str(out), "--smki", str(smki), "--json"])
    assert shown.exit_code == 0, shown.output
    fields = json.loads(shown.output)
    image = parse(out.read_bytes())
    assert fields["signature"] == "valid"
    assert fields["manufacturer_image_hash"] == image.manufacturer_image_hash.hex().upper()
    assert fields["file_version"] == "0x00000200" and fields["hardware_versions"] == ["0x0001", "0x0003"]
    assert image.signature_valid(manufacturer_key(smki, 0x1234).public_key())
    row, = Cpl.load(smki).entries
    assert (row.manufacturer, row.model, row.firmware_version, row.image_hash) == \
        (0x1234, 1, 0x200, image.manufacturer_image_hash)
    out.write_bytes(out.read_bytes()[:50])
    broken = runner.invoke(main, ["firmware", "image", "show", str(out)])
    assert broken.exit_code == 1 and "truncated" in broken.output
