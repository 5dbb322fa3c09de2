"""`rig results import` on run folders: new, already stored, and a malformed run.json named in one line."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from nightly_runs import write_sequence
from rig.cli import main


def test_import_run_folders(tmp_path: Path) -> None:
    folders = [str(f) for f in write_sequence(tmp_path / "runs")]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "run.json").write_text('{"run_id": "x", "bench": {}, "started": "2026-11-29T06:00:00Z", "tests": 3}')
    store = str(tmp_path / "rig.db")
    runner = CliRunner()
    first = runner.invoke(main, ["results", "import", *folders, "--store", store])
    assert first.exit_code == 0, first.output
    assert first.output.count("new, 5 tests added") == 3
    again = runner.invoke(main, ["results", "import", folders[0], str(bad), "--store", store])
    assert again.exit_code == 1
    assert "already stored, 0 tests added" in again.output
    assert f"{bad}: not imported: run.tests: expected list, got int" in again.output
