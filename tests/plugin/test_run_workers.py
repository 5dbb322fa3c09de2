"""`rig run --workers 2`: two independent simulated benches, one merged results folder, the same verdicts as one
worker (conformance tests with a defect on, so FAILs as well as PASSes must match)."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SELECTION = ["-k", "test_utrn_keypad", "--defect", "esme:utrn_skip_check_digit"]


def rig_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from rig.cli import main; main()", "run", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)


def verdicts(folder: Path) -> dict[str, str]:
    return {t["nodeid"]: t["verdict"] for t in json.loads((folder / "run.json").read_text())["tests"]}


def test_two_workers_give_the_same_verdicts_as_one(tmp_path: Path) -> None:
    one = rig_run(tmp_path, "--results", str(tmp_path / "one"), *SELECTION)
    two = rig_run(tmp_path, "--results", str(tmp_path / "two"), "--workers", "2", *SELECTION)
    assert one.returncode == two.returncode == 1, two.stdout + two.stderr
    single, merged = verdicts(tmp_path / "one"), verdicts(tmp_path / "two")
    assert merged == single and "FAIL" in merged.values() and "PASS" in merged.values()
    assert list(merged) == list(single)  # the merged record keeps the order the tests were selected in
    record = json.loads((tmp_path / "two" / "run.json").read_text())
    assert record["run_id"] == "two" and record["interrupted"] is None
    # each worker ran on its own bench: its own boards' flash folders, provisioning and DCC counters
    for k in (0, 1):
        bench = tmp_path / "two" / "workers" / f"w{k}" / "bench"
        flash = [(bench / role / "flash").is_dir() for role in ("esme", "gsme")]  # per-case roles: a shard boots its own
        assert any(flash) and (bench / "provisioning").is_dir()
    ran = {k: [t for t in verdicts(tmp_path / "two" / "workers" / f"w{k}")] for k in (0, 1)}
    assert ran[0] and ran[1] and not set(ran[0]) & set(ran[1])
    assert all((tmp_path / "two" / path).is_file() for t in record["tests"] for path in t["evidence"])
    suite = ET.parse(tmp_path / "two" / "junit.xml").getroot().find("testsuite")
    assert suite.get("tests") == str(len(single)) and suite.get("failures") == str(list(single.values()).count("FAIL"))
    failure = next(case.find("failure") for case in suite.iter("testcase") if case.find("failure") is not None)
    assert failure.text  # the failure's traceback, read back from the worker's evidence
    assert sum(line.startswith("[w") for line in two.stdout.splitlines()) == len(single)
