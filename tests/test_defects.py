"""The conformance suites catch real non-conformance: with each named defect injected into the emulator playing
the device under test, at least one conformance test FAILs (never ERRORs), and every conformance test FAILs under
at least one defect. A run with no defect passes."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from emulators.defects import known_defects
from harness.shared import PROJECT_ROOT

SUITE = PROJECT_ROOT / "tests" / "conformance"
DEFECTS = sorted(f"{role}:{name}" for role, names in known_defects().items() for name in names)


def _run(results: Path, defect: str | None) -> dict[str, str]:
    """{nodeid: verdict} of one run of the conformance suites on the sim bench."""
    args = [sys.executable, "-m", "pytest", str(SUITE), "-p", "harness.pytest_plugin", "-q", "--results",
            str(results), "-o", f"conformance_paths={SUITE}", "-p", "no:cacheprovider"]
    if defect:
        args += ["--defect", defect]
    subprocess.run(args, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    record = json.loads((results / "run.json").read_text())
    return {t["nodeid"]: t["verdict"] for t in record["tests"]}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> dict[str | None, dict[str, str]]:
    runs: list[str | None] = [None, *DEFECTS]
    base = tmp_path_factory.mktemp("defects")
    with ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = pool.map(lambda d: _run(base / (d or "none").replace(":", "-"), d), runs)
    return dict(zip(runs, verdicts))


def _function(nodeid: str) -> str:
    return nodeid.split("[")[0]


def test_suite_passes_without_defects(matrix):
    baseline = matrix[None]
    assert baseline, "no conformance test ran"
    assert set(baseline.values()) == {"PASS"}, {k: v for k, v in baseline.items() if v != "PASS"}


@pytest.mark.parametrize("defect", DEFECTS)
def test_defect_is_caught(matrix, defect):
    verdicts = matrix[defect]
    assert "ERROR" not in verdicts.values(), {k: v for k, v in verdicts.items() if v == "ERROR"}
    assert "FAIL" in verdicts.values(), f"no conformance test caught the defect {defect}"


def test_every_conformance_test_catches_a_defect(matrix):
    functions = {_function(n) for n in matrix[None]}
    caught = {_function(n) for d in DEFECTS for n, v in matrix[d].items() if v == "FAIL"}
    assert functions - caught == set(), f"conformance tests no defect makes FAIL: {sorted(functions - caught)}"
