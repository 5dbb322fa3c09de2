"""utrn.json meter-side vectors through firmware/utrn.py under CPython and the MicroPython unix port.

Meter KA private keys are absent, so the meter is given the supplier's prepayment KA private key and
the meter's KA public key in place of the supplier's (ECDH is symmetric: same Z).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from firmware import utrn
from harness.shared import PROJECT_ROOT

from rawkeys import private, public

HERE = Path(__file__).parent
MICROPYTHON = shutil.which("micropython", path=str(Path(sys.executable).parent)) or shutil.which("micropython")
SUPPLIER = "90B3D51F30010000"


def _flip_keep_check(u: str) -> str:
    d19 = str(int(u[:19]) ^ 0x10)
    return d19 + str(utrn.check_digit(d19))


@pytest.fixture
def cases(shared):
    keystore = shared("rtds", "keystore")
    vectors = json.loads(shared("vectors", "utrn.json").read_text())["meter_side"]
    pp = private(keystore, SUPPLIER, "pp-ka")
    out, expected = [], []
    for v in vectors:
        u = v["utrn"]
        case = {"meter": v["target"], "ka_private": pp.hex(), "supplier": SUPPLIER,
                "pp_public": public(keystore, v["target"], "ka").hex(), "max_topup": 10 ** 6,
                "credit_limit": 10 ** 7, "utrns": [u, u, _flip_keep_check(u)]}
        if v.get("check_digit_ok") is False:
            expected.append([utrn.CHECK_DIGIT, utrn.CHECK_DIGIT, None])
        else:
            assert v["mac_ok"]
            expected.append(["ok", utrn.REPLAY, None])
        out.append((case, v))
    return out, expected


def _run(case: dict) -> list[str]:
    meter = utrn.Meter(bytes.fromhex(case["meter"]), bytes.fromhex(case["ka_private"]),
                       bytes.fromhex(case["supplier"]), bytes.fromhex(case["pp_public"]),
                       case["max_topup"], case["credit_limit"])
    res = []
    for u in case["utrns"]:
        try:
            meter.accept(u, 0)
            res.append("ok")
        except utrn.UtrnRejected as e:
            res.append(e.reason)
    return res


def test_meter_side_vectors_cpython(cases):
    items, expected = cases
    assert len(items) >= 4
    for (case, v), exp in zip(items, expected):
        got = _run(case)
        assert got[:2] == exp[:2], v["utrn"]
        if exp[0] == "ok":
            assert got[2] in (utrn.MAC_INVALID, utrn.OUT_OF_RANGE, utrn.BAD_LEAD, utrn.BAD_CLASS), got
            tok = utrn.decode(v["utrn"])
            assert tok.counter10 << 32 == int(v["counter"], 16) and tok.value == v["value"]


def test_credit_limit_applies_to_valid_vector(cases):
    items, expected = cases
    case = dict(items[0][0], credit_limit=999, utrns=[items[0][1]["utrn"]])
    assert _run(case) == [utrn.CREDIT_LIMIT]


@pytest.mark.skipif(MICROPYTHON is None, reason="the micropython unix port is not installed")
def test_meter_side_vectors_micropython_match(cases, tmp_path):
    items, _ = cases
    jpath = tmp_path / "utrn_cases.json"
    jpath.write_text(json.dumps([c for c, _ in items]))
    proc = subprocess.run([MICROPYTHON, "-X", "heapsize=4M", str(HERE / "fw_utrn_check.py"), str(jpath),
                           str(PROJECT_ROOT)], capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.strip().split("\n") == [" ".join(_run(c)) for c, _ in items]
