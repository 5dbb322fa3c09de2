"""`rig gbcs utrn`: generate a UTRN as a supplier, or check one as a meter would."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from harness.errors import InputError
from harness.gbcs.keystore import DirectoryKeyStore
from harness.gbcs.utrn import UtrnValidator, ValueClass, generate, utrn_secret
from harness.smki.roles import parse_eui


def _secret(keystore: Path, supplier: str, target: str) -> tuple[bytes, bytes, bytes]:
    try:
        supplier_eui, target_eui = parse_eui(supplier, "--supplier"), parse_eui(target, "--target")
        keys = DirectoryKeyStore(keystore)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    z = utrn_secret(keys, supplier_eui, target_eui)
    if z is None:
        raise click.UsageError(f"{keystore} lacks the supplier prepayment KA key pair or the target KA key "
                               f"(need {supplier_eui.hex()}-pp-ka.key and {target_eui.hex()}-ka.pem, or the reverse)")
    return z, supplier_eui, target_eui


def _counter(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise click.BadParameter(f"not an integer: {text!r}", param_hint="--counter") from None


@click.group()
def utrn() -> None:
    """UTRN (prepayment top-up codes, GBCS section 14)."""


_keystore = click.option("--keystore", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
                         help="key directory (RTDS layout or a bench SMKI)")
_supplier = click.option("--supplier", required=True, metavar="EUI", help="supplier EUI-64")
_target = click.option("--target", required=True, metavar="EUI", help="meter EUI-64")
_json = click.option("--json", "as_json", is_flag=True, help="print a JSON object")


@utrn.command("generate")
@_keystore
@_supplier
@_target
@click.option("--counter", required=True, help="64-bit counter (decimal or 0x hex); the low 32 bits must be 0")
@click.option("--value", required=True, type=int, help="0..8191")
@click.option("--class", "value_class", type=click.Choice(["pennies", "pounds"]), default="pennies",
              show_default=True)
@_json
def generate_cmd(keystore: Path, supplier: str, target: str, counter: str, value: int, value_class: str,
                 as_json: bool) -> None:
    """Generate a UTRN with the supplier's prepayment key."""
    z, supplier_eui, target_eui = _secret(keystore, supplier, target)
    try:
        token = generate(z, supplier_eui, target_eui, _counter(counter), value, ValueClass[value_class.upper()])
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"utrn": token.text, "pptd": token.text[:19], "counter": f"{token.counter:016X}",
                               "value": token.value, "value_class": token.value_class.name.lower(),
                               "supplier": supplier_eui.hex().upper(), "target": target_eui.hex().upper()}))
    else:
        click.echo(token.text)


@utrn.command("check")
@click.argument("utrn_text", metavar="UTRN")
@_keystore
@_supplier
@_target
@click.option("--max-top-up", type=int, help="maximum credit per top-up, in pennies")
@click.option("--credit-limit", type=int, help="maximum credit balance, in pennies")
@click.option("--balance", type=int, default=0, show_default=True, help="current credit balance, in pennies")
@_json
def check_cmd(utrn_text: str, keystore: Path, supplier: str, target: str, max_top_up: int | None,
              credit_limit: int | None, balance: int, as_json: bool) -> None:
    """Check a UTRN as the meter would (fresh counter cache). Exit 1 when the meter would reject it."""
    z, supplier_eui, target_eui = _secret(keystore, supplier, target)
    verdict = UtrnValidator(z, supplier_eui, target_eui, max_top_up=max_top_up,
                            max_credit=credit_limit).check(utrn_text.strip(), balance)
    token = verdict.utrn
    report = {"utrn": utrn_text.strip(), "accepted": verdict.accepted,
              "reason": None if verdict.reason is None else verdict.reason.value}
    if token is not None:
        report.update(counter=f"{token.counter:016X}", value=token.value,
                      value_class=token.value_class.name.lower(), pennies=token.pennies)
    if as_json:
        click.echo(json.dumps(report))
    elif verdict.accepted:
        click.echo(f"accepted: counter {report['counter']}, {token.value} {report['value_class']}")
    else:
        click.echo(f"rejected: {report['reason']}")
    if not verdict.accepted:
        sys.exit(1)
