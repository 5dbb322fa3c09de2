"""`rig run` end to end on fake suites, in a subprocess: exit codes 0/1/2, output and the results folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.shared import PROJECT_ROOT
from rig.commands.run import exit_status

HEADER = 'import pytest\nfrom harness.errors import BenchFault\n'
MARKS = '@pytest.mark.scenario(13)\n@pytest.mark.clause("BAD 7.2.1.6.7")\n'
PASSING = HEADER + MARKS + "def test_join():\n    pass\n" + MARKS + "def test_skip():\n    pytest.skip('no GSME')\n"
FAILING = PASSING + MARKS + "def test_refused():\n    assert 'esme' in [], 'CHF admitted a device not in its log'\n"
ERRORING = PASSING + MARKS + "def test_bench():\n    raise BenchFault('radio reset')\n"


def rig_run(tmp_path: Path, source: str | None, *args: str) -> subprocess.CompletedProcess:
    suite = tmp_path / "suite"
    suite.mkdir(exist_ok=True)
    if source is not None:
        (suite / "test_fake_suite.py").write_text(source)
    env = dict(os.environ, RIG_SUITE=str(suite), PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-c", "from rig.cli import main; main()", "run", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def only_run_folder(tmp_path: Path) -> Path:
    (folder,) = [p for p in (tmp_path / "results").iterdir() if p.is_dir()]  # beside it: the store, rig.db
    return folder


def test_all_pass_or_skip_exits_0(tmp_path: Path) -> None:
    done = rig_run(tmp_path, PASSING)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = only_run_folder(tmp_path)
    record = json.loads((folder / "run.json").read_text())
    assert [t["verdict"] for t in record["tests"]] == ["PASS", "SKIP"]
    assert record["bench"]["name"] == "sim"
    assert (folder / "junit.xml").is_file()
    assert f"results: {folder / 'run.json'}" in done.stdout
    assert "PASS: 1  FAIL: 0  ERROR: 0  SKIP: 1  (total 2)" in done.stdout


def test_fail_exits_1(tmp_path: Path) -> None:
    done = rig_run(tmp_path, FAILING, "--results", str(tmp_path / "out"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CHF admitted a device not in its log" in done.stdout
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert [t["verdict"] for t in record["tests"]] == ["PASS", "SKIP", "FAIL"]


def test_error_exits_1_and_k_selects(tmp_path: Path) -> None:
    done = rig_run(tmp_path, ERRORING, "--results", str(tmp_path / "out"), "-k", "bench or join")
    assert done.returncode == 1, done.stdout + done.stderr
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert [(t["nodeid"].rsplit("::")[-1], t["verdict"]) for t in record["tests"]] == [
        ("test_join", "PASS"), ("test_bench", "ERROR")]


def test_bad_bench_file_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bench.toml"
    bad.write_text("[bench]\nchannel = 99\n[roles.chf]\nkind = \"emulator\"\n")
    done = rig_run(tmp_path, PASSING, "--bench", str(bad))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "channel" in done.stderr and str(bad) in done.stderr
    assert not (tmp_path / "results").exists()


def test_nothing_selected_exits_2(tmp_path: Path) -> None:
    done = rig_run(tmp_path, PASSING, "-k", "no_such_test")
    assert done.returncode == 2
    assert "no conformance test selected" in done.stderr


@pytest.mark.parametrize("code, verdicts, expected", [
    (pytest.ExitCode.OK, ["PASS", "SKIP"], 0),
    (pytest.ExitCode.OK, ["PASS", "ERROR"], 1),
    (pytest.ExitCode.TESTS_FAILED, ["FAIL"], 1),
    (pytest.ExitCode.INTERRUPTED, ["ERROR"], 1),
    (pytest.ExitCode.INTERRUPTED, [], 1),
    (pytest.ExitCode.INTERNAL_ERROR, [], 1),
    (pytest.ExitCode.USAGE_ERROR, [], 2),
    (pytest.ExitCode.NO_TESTS_COLLECTED, [], 2),
    (pytest.ExitCode.OK, ["SKIP", "SKIP"], 3),
    (pytest.ExitCode.OK, [], 3),
    (pytest.ExitCode.OK, ["PASS", "SKIP unsupported"], 3),
    (pytest.ExitCode.OK, ["FAIL", "SKIP unsupported"], 1),
])
def test_exit_status(code: int, verdicts: list[str], expected: int) -> None:
    tests = [{"nodeid": f"t{i}", "verdict": v.split()[0], "unsupported": "unsupported" in v}
             for i, v in enumerate(verdicts)]
    assert exit_status(int(code), tests) == expected


NOT_SUPPORTED = HEADER + "from harness.pytest_plugin import NotSupportedYet\n" + MARKS + \
    "def test_han():\n    raise NotSupportedYet('HAN sessions on EZSP radios are not supported yet')\n" + MARKS + \
    '@pytest.mark.roles("hht")\ndef test_hht():\n    pass\n'


def test_nothing_tested_exits_3_with_a_table_of_why(tmp_path: Path) -> None:
    bench = tmp_path / "bench.toml"
    bench.write_text('[roles.chf]\nkind = "emulator"\nboard = "sim"\nradio = { kind = "sim" }\n')
    done = rig_run(tmp_path, NOT_SUPPORTED, "--bench", str(bench), "--loss", "0.2", "--seed", "9")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "nothing was tested on this bench" in done.stderr
    assert "rig: not yet" in done.stderr and "HAN sessions on EZSP radios are not supported yet" in done.stderr
    assert "bench: n/a" in done.stderr and "has no hht role" in done.stderr
    record = json.loads((only_run_folder(tmp_path) / "run.json").read_text())
    assert [(t["verdict"], t["unsupported"]) for t in record["tests"]] == [("SKIP", True), ("SKIP", False)]
    assert record["bench"]["radio"] == {"loss": 0.2, "seed": 9}


def test_some_untested_exits_3(tmp_path: Path) -> None:
    done = rig_run(tmp_path, PASSING + NOT_SUPPORTED.removeprefix(HEADER))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "1 tests were not tested on this bench: the rig does not support it yet" in done.stderr
