"""`rig gbcs decode`: JSON fields, exit codes and input handling."""
from __future__ import annotations

import json

from click.testing import CliRunner

from rig.commands.gbcs import gbcs

FIELDS = {"kind", "cra", "originator", "recipient", "counter", "message_code", "use_case", "payload_family",
          "signature", "mac", "payload", "errors"}


def _run(*args: str):
    return CliRunner().invoke(gbcs, ["decode", *args])


def test_decode_file_json(rtds_root, shared):
    path = rtds_root / "3.3_CS11" / "CS11_3.3_SUCCESS_COMMAND_GBCS.HEX"
    result = _run(str(path), "--keystore", str(shared("rtds", "keystore")), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert FIELDS <= set(out)
    assert (out["kind"], out["cra"], out["originator"], out["recipient"]) == (
        "command", "01", "90B3D51F30010000", "00DB1234567890A1")
    assert (out["counter"], out["message_code"], out["use_case"], out["payload_family"]) == (
        "00000000000003E8", "0015", "CS11", "gbz")
    assert (out["signature"], out["mac"], out["errors"]) == ("absent", "valid", [])
    assert out["payload"]["components"][0]["cluster"] == "0709"


def test_several_inputs_make_an_array_and_hex_is_accepted(rtds, rtds_root, shared):
    ks = str(shared("rtds", "keystore"))
    alert = rtds_root / "NA_CS14" / "CS14_NA_8F12_ALERT_GBCS.HEX"
    pre = rtds["CS06_11.3_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX"].hex()
    result = _run(str(alert), pre, "--keystore", ks, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [o["kind"] for o in out] == ["alert", "precommand"]
    assert out[0]["payload_family"] == "dlms" and out[1]["payload_family"] == "asn1"
    assert out[1]["signature"] == "absent" and out[1]["mac"] == "absent"


def test_without_keys_is_unverifiable(rtds):
    raw = rtds["CS11_3.3_SUCCESS_COMMAND_GBCS.HEX"]
    result = _run(raw.hex(), "--json")
    assert result.exit_code == 0 and json.loads(result.output)["mac"] == "unverifiable"


def test_tampered_message_exits_1(rtds, shared):
    raw = bytearray(rtds["CS11_3.3_SUCCESS_COMMAND_GBCS.HEX"])
    raw[-1] ^= 1
    result = _run(raw.hex(), "--keystore", str(shared("rtds", "keystore")))
    assert result.exit_code == 1 and "\nmac: invalid\n" in result.output


def test_malformed_message_exits_1():
    result = _run("DF0901", "--json")
    assert result.exit_code == 1 and json.loads(result.output)["errors"]


def test_unusable_input_exits_2(tmp_path):
    assert _run(str(tmp_path / "missing.HEX")).exit_code == 2
    assert _run("not-hex").exit_code == 2
    assert _run("ABC").exit_code == 2
    (tmp_path / "x.HEX").write_text("DF 0G")
    assert _run(str(tmp_path / "x.HEX")).exit_code == 2
    assert _run("DF00", "--acb", "nope").exit_code == 2
    assert _run("DF00", "--keystore", str(tmp_path / "nodir")).exit_code == 2


def test_long_hex_argument_prints_text_by_default(rtds, shared):
    raw = max(rtds.values(), key=len)
    assert len(raw.hex()) >= 256
    result = _run(raw.hex(), "--keystore", str(shared("rtds", "keystore")))
    assert result.exit_code in (0, 1), result.output
    lines = result.output.splitlines()
    assert lines[0] == "input: hex" and lines[1].startswith("kind: ")
    assert any(line.startswith("signature: ") for line in lines) and any(line.startswith("errors: ") for line in lines)


def test_hex_on_standard_input(rtds):
    raw = rtds["CS11_3.3_SUCCESS_COMMAND_GBCS.HEX"]
    text = raw.hex().upper()
    result = CliRunner().invoke(gbcs, ["decode", "-", "--json"], input=" ".join(text[i:i + 32] for i in
                                                                          range(0, len(text), 32)) + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["input"] == "stdin" and json.loads(result.output)["use_case"] == "CS11"


def test_long_text_that_is_neither_hex_nor_a_file_exits_2():
    result = _run("Z" * 300)
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: {'Z' * 40}... (300 characters): no such file, and not hex "
                                          "(File name too long)"]


def test_utrn_subgroup_is_listed():
    result = CliRunner().invoke(gbcs, ["--help"])
    assert "decode" in result.output and "utrn" in result.output
