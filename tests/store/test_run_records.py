"""A real `rig run` records into the store as it goes: each finished test, the bench, the exit status; a run
killed mid-way keeps every verdict it finished; `--publish` sends the finished run to a dashboard."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from harness.shared import PROJECT_ROOT
from harness.store import queries as q
from harness.store.schema import runs
from harness.store.store import Store

HEADER = "import os, signal\nimport pytest\nfrom harness.errors import BoardLost\n"
MARKS = '@pytest.mark.scenario(13)\n@pytest.mark.clause("BAD 7.2.1.6.7")\n'
SUITE = (HEADER + MARKS + "def test_join():\n    pass\n"
         + MARKS + "def test_refused():\n    assert False, 'CHF admitted a device not in its log'\n"
         + MARKS + "def test_board():\n    raise BoardLost('board esme is not running')\n")
TOKEN = "ci-token"
KILLED = SUITE + MARKS + "def test_killed():\n    os.kill(os.getpid(), signal.SIGKILL)\n" + \
    MARKS + "def test_never_runs():\n    pass\n"


def rig_run(tmp_path: Path, source: str, store: str, *args: str) -> subprocess.CompletedProcess:
    suite = tmp_path / "suite"
    suite.mkdir(exist_ok=True)
    (suite / "test_fake_suite.py").write_text(source)
    env = dict(os.environ, RIG_SUITE=str(suite), PYTHONPATH=str(PROJECT_ROOT), RIG_RESULTS_TOKEN=TOKEN)
    return subprocess.run([sys.executable, "-c", "from rig.cli import main; main()", "run", "--store", store,
                           "--results", str(tmp_path / "out"), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def only_run(store: Store) -> dict:
    with store.engine.connect() as conn:
        run_id = conn.execute(sa.select(runs.c.run_id)).scalar_one()
        return q.run_detail(conn, run_id)


def test_rig_run_records_into_the_store_and_publishes(tmp_path: Path, serve) -> None:
    remote = Store(tmp_path / "remote.db")
    server = serve(remote, token=TOKEN)
    done = rig_run(tmp_path, SUITE, str(tmp_path / "rig.db"), "--publish", server.url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"to {server.url}" in done.stdout, done.stdout + done.stderr
    with Store(tmp_path / "rig.db") as store:
        run = only_run(store)
    assert [(t["test"].nodeid.rsplit("::")[1], t["test"].verdict) for t in run["tests"]] == [
        ("test_join", "PASS"), ("test_refused", "FAIL"), ("test_board", "ERROR")]
    assert run["tests"][1]["test"].reason == "CHF admitted a device not in its log"
    assert run["run"].exit_status == 1 and run["run"].finished and run["run"].host
    assert run["run"].folder == str(tmp_path / "out")
    assert "failure.txt" in " ".join(run["tests"][1]["evidence"])
    published = only_run(remote)  # the CI server got the same run and its evidence
    assert [t["test"].verdict for t in published["tests"]] == ["PASS", "FAIL", "ERROR"]
    assert published["run"].folder == str(tmp_path / "pushed" / run["run"].run_id)
    remote.close()


def test_a_killed_run_keeps_its_finished_verdicts(tmp_path: Path) -> None:
    done = rig_run(tmp_path, KILLED, str(tmp_path / "rig.db"))
    assert done.returncode != 0
    with Store(tmp_path / "rig.db") as store:
        run = only_run(store)
    assert [t["test"].verdict for t in run["tests"]] == ["PASS", "FAIL", "ERROR"]
    assert run["run"].finished is None and run["run"].exit_status is None


def test_a_run_on_workers_is_recorded_once_merged(tmp_path: Path) -> None:
    done = rig_run(tmp_path, SUITE, str(tmp_path / "rig.db"), "--workers", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    with Store(tmp_path / "rig.db") as store:
        run = only_run(store)  # one run, not one per worker
    assert sorted(t["test"].verdict for t in run["tests"]) == ["ERROR", "FAIL", "PASS"]
    assert run["run"].exit_status == 1 and run["run"].folder == str(tmp_path / "out")
