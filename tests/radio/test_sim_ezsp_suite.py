"""Conformance tests on the built-in `sim-ezsp` bench (every radio bellows over a pty to an emulated NCP): the same
verdicts as on `sim`, where every one of these passes. A lean slice for `make test` (joins with CBKE for each
joining role, and the HHT's scan and inter-PAN key establishment); the whole suite and its wall time against
`sim` are in bench/ezsp_suite.py."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLICE = ["tests/conformance/test_han_join.py::test_full_join", "tests/conformance/test_hht_interpan.py"]


@pytest.mark.timeout(600)
def test_conformance_slice_passes_on_sim_ezsp(tmp_path):
    results = tmp_path / "results"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SLICE,
                          "--bench", "sim-ezsp", "--results", str(results)],
                         cwd=ROOT, capture_output=True, text=True, timeout=580)
    record = json.loads(next(results.glob("**/run.json")).read_text())
    verdicts = {test["nodeid"]: test["verdict"] for test in record["tests"]}
    assert record["bench"]["name"] == "sim-ezsp"
    assert len(verdicts) >= 8 and set(verdicts.values()) == {"PASS"}, (verdicts, run.stdout[-3000:])
    radios = record["versions"]["radios"]  # what each NCP reported, kept with the run
    assert radios and all(v.startswith("EZSP v") and "stack 7.4.4.0" in v for v in radios.values()), radios
