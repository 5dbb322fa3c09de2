"""`rig zse`: Zigbee Smart Energy security tools for DUT traces (install codes, certificates, CBKE)."""
from __future__ import annotations

import json
from typing import NoReturn

import click

from harness.errors import InputError


class ArgumentError(click.ClickException):
    """A bad argument: one line on stderr, exit code 2."""

    exit_code = 2

    def __init__(self, message: str, ctx: click.Context | None = None):
        super().__init__(message)
        self.ctx = ctx or click.get_current_context(silent=True)

    def show(self, file=None) -> None:
        click.echo(f"error: {' '.join(self.format_message().split())}", err=True)


class _Command(click.Command):
    """Reports click's own usage errors (bad choice, missing option) as one line too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise ArgumentError(exc.format_message(), ctx) from None


class _Group(click.Group):
    command_class = _Command


def _fail(message: str) -> NoReturn:
    raise ArgumentError(message)


def _hex(value: str, name: str, octets: tuple[int, ...] | None = None) -> bytes:
    text = "".join(value.split()).replace(":", "")
    try:
        data = bytes.fromhex(text)
    except ValueError:
        _fail(f"{name} is not hex")
    if octets is not None and len(data) not in octets:
        _fail(f"{name} must be {' or '.join(map(str, octets))} octets, got {len(data)}")
    return data


def _emit(result: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result))
    else:
        for key, value in result.items():
            click.echo(f"{key}: {value}")


@click.group(cls=_Group)
def zse() -> None:
    """Zigbee Smart Energy security: install codes, ECQV certificates, CBKE."""


@zse.command("install-code")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def install_code_cmd(code: str, as_json: bool) -> None:
    """Check an install code's CRC-16/X-25 and print its link key; a bad CRC is an error (exit 2)."""
    from harness.zse import install_code

    raw = _hex(code, "install code", install_code.VALID_LENGTHS)
    if not install_code.crc_ok(raw):
        expected = install_code.crc16_x25(raw[:-2]).to_bytes(2, "little").hex().upper()
        _fail(f"install code CRC is {raw[-2:].hex().upper()}, expected {expected} (check for a typo)")
    _emit({"crc_ok": True, "link_key": install_code.link_key(raw).hex().upper()}, as_json)


@zse.command("cert")
@click.argument("cert_hex", metavar="HEX")
@click.option("--ca", "ca_hex", help="CA public key (compressed) to reconstruct the subject's public key.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def cert_cmd(cert_hex: str, ca_hex: str | None, as_json: bool) -> None:
    """Decode an implicit certificate (48 or 74 octets)."""
    from harness.zse import certificate, ecqv

    raw = _hex(cert_hex, "certificate", (48, 74))
    try:
        cert = certificate.decode(raw)
        result = cert.fields()
        if ca_hex is not None:
            ca = _hex(ca_hex, "--ca", (22 if cert.suite == 1 else 37,))
            result["public_key"] = ecqv.reconstruct_bytes(cert, ca).hex().upper()
    except InputError as exc:
        _fail(str(exc))
    _emit(result, as_json)


@zse.command("cbke")
@click.option("--suite", type=click.IntRange(1, 2), required=True)
@click.option("--role", type=click.Choice(["initiator", "responder"]), required=True)
@click.option("--ca", "ca_hex", required=True, help="CA public key, compressed.")
@click.option("--cert", "cert_hex", required=True, help="This side's certificate.")
@click.option("--key", "key_hex", required=True, help="This side's static private key.")
@click.option("--eph-key", "eph_hex", required=True, help="This side's ephemeral private key.")
@click.option("--peer-cert", "peer_cert_hex", required=True, help="The partner's certificate.")
@click.option("--peer-eph", "peer_eph_hex", required=True, help="The partner's ephemeral public key, compressed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def cbke_cmd(suite: int, role: str, ca_hex: str, cert_hex: str, key_hex: str, eph_hex: str, peer_cert_hex: str,
             peer_eph_hex: str, as_json: bool) -> None:
    """Compute what this side of a CBKE exchange derives (Z, MacKey, KeyData, MACU, MACV)."""
    from harness.zse import cbke, certificate, ecqv
    from harness.zse.suites import suite as get_suite

    s = get_suite(suite)
    curve = s.curve
    ca = _hex(ca_hex, "--ca", (curve.point_octets,))
    own = _hex(cert_hex, "--cert", (s.cert_octets,))
    peer = _hex(peer_cert_hex, "--peer-cert", (s.cert_octets,))
    d_s = int.from_bytes(_hex(key_hex, "--key", (curve.scalar_octets,)), "big")
    d_e = int.from_bytes(_hex(eph_hex, "--eph-key", (curve.scalar_octets,)), "big")
    peer_eph_raw = _hex(peer_eph_hex, "--peer-eph", (curve.point_octets,))
    for name, value in (("--key", d_s), ("--eph-key", d_e)):
        if value % curve.n == 0:
            _fail(f"{name} must not be 0 mod n")
    try:
        ca_point = curve.decompress(ca, field="--ca")
        own_cert = certificate.decode(own, suite)
        peer_cert = certificate.decode(peer, suite)
        peer_static = ecqv.reconstruct(peer_cert, ca_point)
        peer_eph = curve.decompress(peer_eph_raw, field="--peer-eph")
        derived = cbke.derive(curve, role, d_static=d_s, d_eph=d_e, q_eph=curve.base_mul(d_e),
                              own_id=own_cert.subject, peer_static=peer_static, peer_eph=peer_eph,
                              peer_id=peer_cert.subject)
    except InputError as exc:
        _fail(str(exc))
    _emit({name: getattr(derived, name).hex().upper()
           for name in ("shared_secret", "mac_key", "key_data", "mac_u", "mac_v")}, as_json)
