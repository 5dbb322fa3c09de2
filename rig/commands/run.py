"""`rig run`: run the conformance suites on a bench, with live progress, a summary, run.json and junit.xml.

Exit status: 0 when every test passed or was skipped, 1 when any test FAILed or ERRORed (a collection error
counts as ERROR), 2 on a usage error (a bad bench file, a -k that selects nothing).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from harness.errors import InputError
from harness.shared import PROJECT_ROOT

SUITE_ENV = "RIG_SUITE"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _check_bench(bench: str) -> None:
    """Load the bench once up front so a bad bench file is reported in one line before pytest starts."""
    from rig.bench.builtin import resolve_bench

    try:
        resolve_bench(bench)
    except InputError as exc:
        click.echo(f"rig run: bench: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from exc


def _verdicts(results: Path) -> list[str]:
    """The verdicts recorded in `results`/run.json (empty when the run wrote none)."""
    try:
        record = json.loads((results / "run.json").read_text())
        return [test["verdict"] for test in record["tests"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def exit_status(pytest_code: int, verdicts: list[str]) -> int:
    """The `rig run` exit status from pytest's exit code and the recorded verdicts."""
    import pytest

    if pytest_code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED):
        return EXIT_USAGE
    if pytest_code != pytest.ExitCode.OK or any(v in ("FAIL", "ERROR") for v in verdicts):
        return EXIT_FAILED
    return EXIT_OK


@click.command("run")
@click.option("--bench", default="sim", show_default=True, metavar="FILE|sim",
              help="Bench file (TOML), or 'sim' for the built-in simulated bench.")
@click.option("-k", "keyword", metavar="EXPR", help="Only tests matching this pytest -k expression.")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for run.json, junit.xml and evidence [default: results/<run id>].")
@click.option("--defect", "defects", multiple=True, metavar="ROLE:NAME",
              help="Make an emulated role misbehave in the named way (defect injection); repeatable.")
@click.option("--suite", type=click.Path(exists=True, path_type=Path), envvar=SUITE_ENV, hidden=True,
              default=PROJECT_ROOT / "tests" / "conformance")
def run(bench: str, keyword: str | None, results: Path | None, defects: tuple[str, ...], suite: Path) -> None:
    """Run the conformance suites on a bench and write the results folder."""
    import pytest

    from harness.results import new_run_id

    _check_bench(bench)
    suite = suite.resolve()
    results = (results or Path("results") / new_run_id()).resolve()
    args = [str(suite), "-p", "harness.pytest_plugin", "--bench", bench, "--results", str(results),
            "-o", f"conformance_paths={suite}", "--tb=short", "-q", "-rN"]
    if keyword:
        args += ["-k", keyword]
    for defect in defects:
        args += ["--defect", defect]
    code = pytest.main(args)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        click.echo(f"rig run: no conformance test selected in {suite}" + (f" by -k {keyword!r}" if keyword else ""),
                   err=True)
    sys.stdout.flush()
    raise SystemExit(exit_status(int(code), _verdicts(results)))
