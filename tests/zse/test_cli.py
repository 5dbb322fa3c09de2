"""`rig zse` commands through click's CliRunner."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rig.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, ["zse", *args])


def test_install_code(shared):
    for v in json.loads(shared("vectors", "install-codes.json").read_text())["vectors"]:
        result = invoke("install-code", v["install_code"], "--json")
        assert result.exit_code == 0
        assert json.loads(result.output) == {"crc_ok": True, "link_key": v["link_key"]}


def test_install_code_with_bad_crc_is_an_error() -> None:
    bad = invoke("install-code", "11223344556677884AF8", "--json")
    assert bad.exit_code == 2
    assert bad.output.strip() == "rig zse install-code: error: install code CRC is 4AF8, expected 4AF7 (check for a typo)"


@pytest.fixture
def vectors(shared):
    return json.loads(shared("vectors", "cbke.json").read_text())


def test_cert_with_ca(vectors):
    for suite in (1, 2):
        v = vectors[f"suite{suite}"]
        result = invoke("cert", v["responder_v"]["certificate"], "--ca", v["ca_public_key"], "--json")
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        assert out["public_key"] == v["responder_v"]["static_public"]
        assert out["subject"] == v["responder_v"]["eui64"] and out["suite"] == suite
    plain = invoke("cert", vectors["suite2"]["initiator_u"]["certificate"])
    assert plain.exit_code == 0 and "issuer: 1112131415161718" in plain.output


@pytest.mark.parametrize("suite", [1, 2])
@pytest.mark.parametrize("role", ["initiator", "responder"])
def test_cbke(vectors, suite, role):
    v = vectors[f"suite{suite}"]
    me, peer = (v["initiator_u"], v["responder_v"]) if role == "initiator" else (v["responder_v"], v["initiator_u"])
    result = invoke("cbke", "--suite", str(suite), "--role", role, "--ca", v["ca_public_key"],
                    "--cert", me["certificate"], "--key", me["static_private"], "--eph-key", me["ephemeral_private"],
                    "--peer-cert", peer["certificate"], "--peer-eph", peer["ephemeral_public"], "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"shared_secret": v["shared_secret_z"], "mac_key": v["mac_key"],
                                         "key_data": v["key_data"], "mac_u": v["mac_u"], "mac_v": v["mac_v"]}


def _cbke_args(v, **override):
    me, peer = v["initiator_u"], v["responder_v"]
    args = {"--suite": "1", "--role": "initiator", "--ca": v["ca_public_key"], "--cert": me["certificate"],
            "--key": me["static_private"], "--eph-key": me["ephemeral_private"], "--peer-cert": peer["certificate"],
            "--peer-eph": peer["ephemeral_public"]}
    args.update(override)
    return [x for kv in args.items() for x in kv]


def test_bad_arguments_exit_2(vectors):
    v = vectors["suite1"]
    not_on_curve = "02" + "00" * 20 + "02"   # x = 2 on sect163k1 has no y
    cases = [
        ["install-code", "11zz"], ["install-code", "112233"],
        ["cert", "00" * 47], ["cert", "nothex"], ["cert", v["initiator_u"]["certificate"], "--ca", "02" + "00" * 5],
        ["cert", v["initiator_u"]["certificate"], "--ca", not_on_curve],
        ["cbke", *_cbke_args(v, **{"--peer-eph": not_on_curve})],
        ["cbke", *_cbke_args(v, **{"--key": "00" * 20})],
        ["cbke", *_cbke_args(v, **{"--cert": "00" * 74})],
        ["cbke", *_cbke_args(v, **{"--eph-key": "xyz"})],
        ["cbke", *_cbke_args(v, **{"--suite": "3"})],
        ["cbke", *_cbke_args(v, **{"--role": "observer"})],
        ["cbke", "--suite", "1"],
    ]
    for args in cases:
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = [line for line in result.output.splitlines() if line]
        assert len(lines) == 1 and lines[0].startswith(f"rig zse {args[0]}: error:"), (args, result.output)
    assert invoke("install-code", "11zz").output.strip() == "rig zse install-code: error: install code is not hex"
    assert "on the curve" in invoke("cert", v["initiator_u"]["certificate"], "--ca", not_on_curve).output
