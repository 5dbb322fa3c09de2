"""`rig gbcs`: decode and verify GBCS messages (and `rig gbcs utrn`, engineer B2's UTRN commands)."""
from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

import click

from harness.errors import InputError
from harness.gbcs.keystore import DirectoryKeyStore, MemoryKeyStore, normalise_eui
from harness.gbcs.usecases import use_case
from harness.gbcs.verify import DEFAULT_ACB, INVALID, verify

EXIT_INVALID, EXIT_UNUSABLE = 1, 2


class GbcsGroup(click.Group):
    """Adds the `utrn` sub-group from rig.commands.gbcs_utrn when that module is present."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        if self._utrn() is not None:
            names.add("utrn")
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "utrn":
            return self._utrn()
        return super().get_command(ctx, name)

    @staticmethod
    def _utrn() -> click.Command | None:
        try:
            module = importlib.import_module("rig.commands.gbcs_utrn")
        except ModuleNotFoundError as exc:
            if exc.name != "rig.commands.gbcs_utrn":
                raise
            return None
        return getattr(module, "utrn", None)


@click.group(cls=GbcsGroup)
def gbcs() -> None:
    """GBCS message layer tools."""


def read_input(item: str) -> tuple[str, bytes]:
    """(label, message bytes) for a HEX string, "-" (hex on standard input) or a FILE of ASCII hex
    (whitespace allowed in all three)."""
    if item == "-":
        text, label = sys.stdin.read(), "stdin"
    elif re.fullmatch(r"[0-9A-Fa-f\s]+", item):
        text, label = item, "hex"
    else:
        try:
            text = Path(item).read_text(encoding="ascii")
        except FileNotFoundError:
            raise InputError("no such file, and not hex", field=_short(item)) from None
        except OSError as exc:
            raise InputError(f"no such file, and not hex ({exc.strerror})", field=_short(item)) from None
        except UnicodeDecodeError as exc:
            raise InputError(f"cannot read as ASCII hex: {exc}", field=_short(item)) from None
        label = item
    digits = "".join(text.split())
    if not digits or len(digits) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
        raise InputError("not an even number of hex digits", field=_short(item))
    return label, bytes.fromhex(digits)


def _short(item: str, limit: int = 40) -> str:
    """An input as named in an error message (long hex cut short)."""
    return item if len(item) <= limit else f"{item[:limit]}... ({len(item)} characters)"


def describe(label: str, data: bytes, keys: MemoryKeyStore, acb: bytes) -> dict:
    """The JSON report of one message (malformed framing is reported in ``errors``)."""
    out: dict = {"input": label}
    try:
        result = verify(data, keys, acb)
    except InputError as exc:
        out.update({"kind": None, "signature": INVALID, "mac": INVALID, "errors": [str(exc)]})
        return out
    h = result.message.grouping
    out.update({
        "kind": result.message.kind, "cra": f"{h.cra:02X}", "originator": h.originator.hex().upper(),
        "recipient": h.recipient.hex().upper(), "counter": f"{h.counter:016X}",
        "message_code": f"{h.message_code:04X}", "use_case": use_case(h.message_code),
        "payload_family": result.payload.family if result.payload else None,
        "signature": result.signature, "mac": result.mac,
        "date_time": h.date_time.hex().upper() if h.date_time else None,
        "other_information": _other_info(h.other_info),
        "payload": result.payload.to_json() if result.payload else None,
        "errors": result.errors,
    })
    return out


def _other_info(oi) -> dict:
    out: dict = {"message_code": f"{oi.message_code:04X}"}
    if oi.supplementary_remote_party_id is not None:
        out["supplementary_remote_party_id"] = oi.supplementary_remote_party_id.hex().upper()
    if oi.supplementary_remote_party_counter is not None:
        out["supplementary_remote_party_counter"] = f"{oi.supplementary_remote_party_counter:016X}"
    if oi.supplementary_originator_counter is not None:
        out["supplementary_originator_counter"] = f"{oi.supplementary_originator_counter:016X}"
    if oi.ka_certificate is not None:
        out["ka_certificate"] = oi.ka_certificate.hex().upper()
    return out


def human_lines(report: dict, prefix: str = "") -> list[str]:
    """A report as ``name: value`` lines; nested fields are named with dots (payload.family, errors.0)."""
    lines = []
    for key, value in report.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            lines += human_lines(value, f"{name}.")
        elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
            lines += human_lines({str(i): v for i, v in enumerate(value)}, f"{name}.")
        elif isinstance(value, list):
            lines.append(f"{name}: {', '.join(map(str, value)) or 'none'}")
        else:
            lines.append(f"{name}: {'-' if value is None else value}")
    return lines


def is_invalid(report: dict) -> bool:
    payload = report.get("payload") or {}
    return bool(report["errors"]) or INVALID in (report["signature"], report["mac"], payload.get("decryption"))


@gbcs.command("decode")
@click.argument("inputs", nargs=-1, required=True, metavar="HEX|FILE|-...")
@click.option("--keystore", "keystore", type=click.Path(file_okay=False), help="Key directory (RTDS layout).")
@click.option("--acb", default=DEFAULT_ACB.hex().upper(), show_default=True, help="ACB EUI-64.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (an array when there are several inputs).")
def decode_cmd(inputs: tuple[str, ...], keystore: str | None, acb: str, as_json: bool) -> None:
    """Decode GBCS messages (hex on the command line, in a FILE, or on standard input as "-") and check their
    signatures and MACs. Prints text, or JSON with --json. Exit 1 if any is invalid, 2 on unusable input."""
    try:
        acb_eui = bytes.fromhex(normalise_eui(acb))
        keys = DirectoryKeyStore(keystore) if keystore else MemoryKeyStore()
        messages = [read_input(item) for item in inputs]
    except (InputError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)
    reports = [describe(label, data, keys, acb_eui) for label, data in messages]
    if as_json:
        click.echo(json.dumps(reports if len(reports) > 1 else reports[0], indent=1))
    else:
        click.echo("\n\n".join("\n".join(human_lines(r)) for r in reports))
    sys.exit(EXIT_INVALID if any(is_invalid(r) for r in reports) else 0)
