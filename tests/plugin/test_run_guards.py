"""`rig run` never trips its operator: bad input stops it up front in one line (exit 2), results folders never
mix, a bench fault is one line per test with the detail in the evidence, and SIGTERM/SIGINT stop it cleanly."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from harness.shared import PROJECT_ROOT

MARKS = '@pytest.mark.scenario(13)\n@pytest.mark.clause("BAD 7.2.1.6.7")\n'
PASSING = "import pytest\n" + MARKS + "def test_join():\n    pass\n"
# the first test runs on the simulated bench and passes; the second says (by a file beside the suite) that it has
# started, then would run for ever
ON_BENCH = ("import time\nfrom pathlib import Path\nimport pytest\n" + MARKS + "def test_first(bench, evidence):\n"
            "    evidence.attach_text('note.txt', 'finished')\n    print('FIRST DONE', flush=True)\n"
            + MARKS + "def test_forever(bench):\n    Path(__file__).with_name('forever.started').touch()\n"
            "    while True:\n        time.sleep(0.05)\n")
# as ON_BENCH, and the endless test's own fixture hangs in its teardown (saying so first): the clean stop that a
# first signal starts never ends by itself
STUCK = ON_BENCH.replace("def test_forever(bench):", "def test_forever(bench, stuck):") + (
    "@pytest.fixture\ndef stuck():\n    yield\n    Path(__file__).with_name('teardown.started').touch()\n"
    "    while True:\n        time.sleep(0.05)\n")
# generous ceilings for a loaded machine: the waits below end at an event, never at the ceiling when all is well
PATIENCE = 120


def start(tmp_path: Path, source: str, *args: str, **popen: object) -> subprocess.Popen:
    suite = tmp_path / "suite"
    suite.mkdir(exist_ok=True)
    (suite / "test_fake_suite.py").write_text(source)
    env = dict(os.environ, RIG_SUITE=str(suite), PYTHONPATH=str(PROJECT_ROOT), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-c", "from rig.cli import main; main()", "run", *args], cwd=tmp_path,
                            env=env, text=True, **popen)


def rig_run(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess:
    proc = start(tmp_path, source, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_unknown_defect_is_a_usage_error_listing_every_known_defect(tmp_path: Path) -> None:
    from emulators.defects import known_defects

    done = rig_run(tmp_path, PASSING, "--defect", "chf:nonsense")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("rig run: --defect 'chf:nonsense': role 'chf' has no defect 'nonsense' (known: ")
    assert all(name in done.stderr for name in known_defects()["chf"]) and "..." not in done.stderr
    assert not (tmp_path / "results").exists()


def test_folder_name_is_the_run_id(tmp_path: Path) -> None:
    done = rig_run(tmp_path, PASSING)
    assert done.returncode == 0, done.stdout + done.stderr
    (folder,) = [p for p in (tmp_path / "results").iterdir() if p.is_dir()]  # beside it: the store, rig.db
    assert json.loads((folder / "run.json").read_text())["run_id"] == folder.name


def test_a_folder_holding_a_run_is_refused_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert rig_run(tmp_path, PASSING, "--results", str(out)).returncode == 0
    (out / "old-evidence.txt").write_text("from the first run")
    first = (out / "run.json").read_text()
    again = rig_run(tmp_path, PASSING, "--results", str(out))
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr == (f"rig run: --results {out}: already holds a run; choose a new folder, or --force to "
                            "replace that run\n")
    assert (out / "run.json").read_text() == first and (out / "old-evidence.txt").exists()
    forced = rig_run(tmp_path, PASSING, "--results", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (out / "old-evidence.txt").exists() and (out / "run.json").read_text() != first


def test_a_folder_holding_other_files_is_refused_even_with_force(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    done = rig_run(tmp_path, PASSING, "--results", str(tmp_path / "mine"), "--force")
    assert done.returncode == 2
    assert done.stderr == (f"rig run: --results {tmp_path / 'mine'}: is not empty and holds no run; "
                           "choose a new folder\n")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    done = rig_run(tmp_path, PASSING, "--results", "/proc/x")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("rig run: --results /proc/x: cannot be used as the results folder (")
    assert done.stderr.count("\n") == 1 and "INTERNALERROR" not in done.stderr


def test_unreachable_socket_board_is_one_line_per_test_with_the_detail_in_the_evidence(tmp_path: Path) -> None:
    bench = tmp_path / "bench.toml"
    bench.write_text('[roles.chf]\nkind = "emulator"\nboard = "socket://127.0.0.1:9"\nradio = { kind = "sim" }\n')
    source = "import pytest\n" + MARKS + "def test_one(bench):\n    pass\n" + MARKS + "def test_two(bench):\n    pass\n"
    done = rig_run(tmp_path, source, "--bench", str(bench), "--results", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout and "runtime.py" not in done.stdout
    lines = [line for line in done.stdout.splitlines() if re.match(r"ERROR +[0-9.]+s  ", line)]  # the live lines
    assert len(lines) == 2 and all("BoardLost: board chf: port socket://127.0.0.1:9" in line for line in lines)
    failure = (tmp_path / "out" / "test_fake_suite__test_one" / "failure.txt").read_text()
    assert "rig/boards/serial.py" in failure and "BoardLost" in failure


def _wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen | None = None) -> None:
    """Wait until `condition()` holds (polling); fail naming `what` after PATIENCE seconds or once `proc` ends."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert proc is None or proc.poll() is None, f"the run ended (status {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} within {PATIENCE} s"
        time.sleep(0.05)


def _interrupt(tmp_path: Path, source: str) -> tuple[subprocess.Popen, str]:
    """Start a run of `source`, wait until its first test has passed and the endless one has started, send SIGTERM;
    with STUCK, once the clean stop hangs in the teardown, send a second. (process, output)"""
    proc = start(tmp_path, source, "--results", str(tmp_path / "out"), stdout=subprocess.PIPE,
                 stderr=subprocess.STDOUT, start_new_session=True)
    output = []
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)
        if line.startswith("PASS "):
            break
    suite = tmp_path / "suite"
    _wait_for((suite / "forever.started").exists, "start of the endless test", proc)
    os.kill(proc.pid, signal.SIGTERM)
    if source is STUCK:
        _wait_for((suite / "teardown.started").exists, "clean stop reaching the stuck teardown", proc)
        os.kill(proc.pid, signal.SIGTERM)
    output.append(proc.communicate(timeout=PATIENCE)[0])  # a run that did not stop fails here
    return proc, "".join(output)


def test_sigterm_stops_the_run_keeps_finished_verdicts_and_leaves_no_board_behind(tmp_path: Path,
                                                                                 processes_mentioning) -> None:
    proc, output = _interrupt(tmp_path, ON_BENCH)
    assert proc.returncode == 1, output
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["interrupted"] == "SIGTERM" and record["finished"]
    first, forever = record["tests"]
    assert first["verdict"] == "PASS" and "test_fake_suite__test_first/note.txt" in first["evidence"]
    assert (tmp_path / "out" / "test_fake_suite__test_first" / "note.txt").read_text() == "finished"
    assert forever["verdict"] == "ERROR" and forever["reason"] == "interrupted (SIGTERM) before it finished"
    assert "run was interrupted (SIGTERM)" in output
    assert processes_mentioning(str(tmp_path)) == []


def test_a_second_signal_stops_at_once_and_still_leaves_no_board_behind(tmp_path: Path, processes_mentioning) -> None:
    proc, output = _interrupt(tmp_path, STUCK)
    assert proc.returncode == 128 + signal.SIGTERM, output
    assert json.loads((tmp_path / "out" / "run.json").read_text())["tests"][0]["verdict"] == "PASS"
    _wait_for(lambda: processes_mentioning(str(tmp_path)) == [], "end of every board's interpreter")


def test_a_signal_before_the_session_begins_stops_cleanly_in_one_line(tmp_path: Path, processes_mentioning) -> None:
    # a signal while pytest is still starting up (slow on a loaded machine): the suite's conftest, which pytest
    # imports before its session, sends it at that moment
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "conftest.py").write_text("import os, signal, time\nos.kill(os.getpid(), signal.SIGTERM)\n"
                                                    "time.sleep(60)\n")
    done = rig_run(tmp_path, PASSING, "--results", str(tmp_path / "out"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr == "rig run: interrupted (SIGTERM) before any test ran\n"
    assert not (tmp_path / "out").exists() and processes_mentioning(str(tmp_path)) == []


def test_workers_need_a_simulated_bench(tmp_path: Path) -> None:
    bench = tmp_path / "bench.toml"
    bench.write_text('[roles.chf]\nkind = "emulator"\nboard = "socket://127.0.0.1:9"\nradio = { kind = "sim" }\n')
    done = rig_run(tmp_path, PASSING, "--bench", str(bench), "--workers", "2")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("rig run: --workers 2: bench bench has real boards, radios or devices; several benches "
                           "at once need simulated ones (e.g. --bench sim)\n")
