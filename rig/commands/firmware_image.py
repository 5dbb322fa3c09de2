"""`rig firmware image`: build and show GB OTA firmware images (layout: harness/ota/image.py)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.errors import InputError
from harness.ota import emulated
from harness.ota.image import OtaHeader, build as build_image, parse
from harness.smki.cpl import CURRENT, Cpl, CplEntry, manufacturer_key, signer_id


def _number(value: str, name: str, bits: int) -> int:
    try:
        n = int(value, 0)
    except ValueError:
        raise click.UsageError(f"{name} is not a number: {value!r}") from None
    if not 0 <= n < 1 << bits:
        raise click.UsageError(f"{name} must fit in {bits} bits")
    return n


@click.group()
def image() -> None:
    """GB OTA firmware images: ZigBee OTA header, Manufacturer Image, manufacturer's signature."""


@image.command("build")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--manufacturer", required=True, help="manufacturer code (e.g. 0x1234)")
@click.option("--image-type", required=True, help="image type = the device model (e.g. 0x0001)")
@click.option("--file-version", required=True, help="file version = the firmware version (e.g. 0x00000200)")
@click.option("--stack-version", default="0x0002", show_default=True, help="ZigBee stack version")
@click.option("--header-string", default="", help="header string (at most 32 octets)")
@click.option("--hw-min", default=None, help="minimum hardware version (with --hw-max)")
@click.option("--hw-max", default=None, help="maximum hardware version (with --hw-min)")
@click.option("--payload", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="the Manufacturer Image file")
@click.option("--emulated-version", default=None,
              help="instead of --payload: an emulated board's image that reports this version once activated")
@click.option("--size", type=int, default=0, help="with --emulated-version: pad the Manufacturer Image to N octets")
@click.option("--smki", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="bench SMKI folder: sign with its manufacturer key (minted on first use)")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="or sign with this P-256 private key (PEM)")
@click.option("--add-to-cpl", is_flag=True, help="with --smki: add the image's CPL row (status Current)")
@click.option("--json", "as_json", is_flag=True)
def build(output: Path, manufacturer: str, image_type: str, file_version: str, stack_version: str,
          header_string: str, hw_min: str | None, hw_max: str | None, payload: Path | None,
          emulated_version: str | None, size: int, smki: Path | None, key: Path | None, add_to_cpl: bool,
          as_json: bool) -> None:
    """Build a signed GB OTA image into OUTPUT."""
    mfr = _number(manufacturer, "--manufacturer", 16)
    if (payload is None) == (emulated_version is None):
        raise click.UsageError("give exactly one of --payload and --emulated-version")
    if (smki is None) == (key is None):
        raise click.UsageError("give exactly one of --smki and --key")
    if (hw_min is None) != (hw_max is None):
        raise click.UsageError("give both --hw-min and --hw-max, or neither")
    if add_to_cpl and smki is None:
        raise click.UsageError("--add-to-cpl needs --smki")
    header = OtaHeader(mfr, _number(image_type, "--image-type", 16), _number(file_version, "--file-version", 32),
                       header_string, _number(stack_version, "--stack-version", 16),
                       hardware_min=None if hw_min is None else _number(hw_min, "--hw-min", 16),
                       hardware_max=None if hw_max is None else _number(hw_max, "--hw-max", 16))
    body = payload.read_bytes() if payload else emulated.manufacturer_image(emulated_version, size)
    try:
        if smki is not None:
            signing = manufacturer_key(smki, mfr)
        else:
            signing = serialization.load_pem_private_key(key.read_bytes(), password=None)
            if not isinstance(signing, ec.EllipticCurvePrivateKey):
                raise click.UsageError(f"{key} is not an EC private key")
        data = build_image(header, body, signer_id(mfr), signing)
    except (InputError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    output.write_bytes(data)
    parsed = parse(data)
    if add_to_cpl:
        Cpl.load(smki).add(CplEntry(mfr, header.image_type, header.file_version, parsed.manufacturer_image_hash,
                                    header.hardware_min or 0, 0xFFFF if header.hardware_max is None
                                    else header.hardware_max, CURRENT))
    _emit(_fields(parsed, None), as_json, f"wrote {output} ({len(data)} octets)")


@image.command("show")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--smki", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="bench SMKI folder: check the signature with its manufacturer key")
@click.option("--json", "as_json", is_flag=True)
def show(file: Path, smki: Path | None, as_json: bool) -> None:
    """Print an OTA image's header fields, its Manufacturer Image Hash and (with --smki) whether the signature
    verifies. Exit 1 when the file is malformed, naming what is wrong."""
    try:
        parsed = parse(file.read_bytes())
    except InputError as exc:
        kind = getattr(exc, "kind", "malformed")
        click.echo(f"malformed OTA image ({kind}): {exc}", err=True)
        raise SystemExit(1) from None
    public = manufacturer_key(smki, parsed.header.manufacturer).public_key() if smki else None
    _emit(_fields(parsed, public), as_json, None)


def _fields(parsed, public: ec.EllipticCurvePublicKey | None) -> dict:
    h = parsed.header
    out = {
        "manufacturer": f"0x{h.manufacturer:04X}", "image_type": f"0x{h.image_type:04X}",
        "file_version": f"0x{h.file_version:08X}", "stack_version": f"0x{h.stack_version:04X}",
        "header_string": h.header_string, "header_length": h.length, "total_size": h.total_size,
        "hardware_versions": None if h.hardware_min is None else [f"0x{h.hardware_min:04X}",
                                                                  f"0x{h.hardware_max:04X}"],
        "manufacturer_image_size": len(parsed.manufacturer_image),
        "manufacturer_image_hash": parsed.manufacturer_image_hash.hex().upper(),
        "signer": parsed.signer.hex().upper(),
    }
    if public is not None:
        out["signature"] = "valid" if parsed.signature_valid(public) else "invalid"
    return out


def _emit(fields: dict, as_json: bool, first: str | None) -> None:
    if as_json:
        click.echo(json.dumps(fields))
        return
    if first:
        click.echo(first)
    for name, value in fields.items():
        click.echo(f"{name}: {value}")
