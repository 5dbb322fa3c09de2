"""`rig run`: run the conformance suites on a bench, with live progress, a summary, run.json and junit.xml.

Exit status: 0 when at least one test PASSed and every other test PASSed or was SKIPped for a reason the user
chose (a role the bench does not have); 1 when any test FAILed or ERRORed (a collection error counts as ERROR);
2 on a usage error (a bad bench file, a -k that selects nothing); 3 when nothing was tested (no test PASSed), or
tests were SKIPped because the rig does not support the bench yet: it then prints "nothing was tested on this
bench" (or what was not) and a table of why.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from harness.errors import InputError
from harness.shared import PROJECT_ROOT

SUITE_ENV = "RIG_SUITE"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNTESTED = 0, 1, 2, 3


def _check_bench(bench: str) -> None:
    """Load the bench once up front so a bad bench file is reported in one line before pytest starts."""
    from rig.bench.builtin import resolve_bench

    try:
        resolve_bench(bench)
    except InputError as exc:
        click.echo(f"rig run: bench: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from exc


def _tests(results: Path) -> list[dict]:
    """The tests recorded in `results`/run.json (empty when the run wrote none)."""
    try:
        tests = json.loads((results / "run.json").read_text())["tests"]
        return [t for t in tests if isinstance(t, dict) and "verdict" in t]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def untested(tests: list[dict]) -> list[dict]:
    """The SKIPs that leave the bench untested: every SKIP when no test PASSed, else those the rig does not
    support yet. Empty when the run tested what it could."""
    skips = [t for t in tests if t["verdict"] == "SKIP"]
    if not any(t["verdict"] == "PASS" for t in tests):
        return skips or [{"nodeid": "(no test)", "reason": "no conformance test ran", "unsupported": False}]
    return [t for t in skips if t.get("unsupported")]


def exit_status(pytest_code: int, tests: list[dict]) -> int:
    """The `rig run` exit status from pytest's exit code and the recorded tests."""
    import pytest

    if pytest_code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED):
        return EXIT_USAGE
    if pytest_code != pytest.ExitCode.OK or any(t["verdict"] in ("FAIL", "ERROR") for t in tests):
        return EXIT_FAILED
    return EXIT_UNTESTED if untested(tests) else EXIT_OK


def untested_table(tests: list[dict]) -> str:
    """Why the bench went untested: a headline, then one row per SKIP (who decided, test, reason)."""
    rows = untested(tests)
    ran = any(t["verdict"] == "PASS" for t in tests)
    head = (f"rig run: {len(rows)} tests were not tested on this bench: the rig does not support it yet" if ran
            else "rig run: nothing was tested on this bench")
    width = max(len(t["nodeid"]) for t in rows)
    lines = [head, f"{'why':13}  {'test':{width}}  reason"]
    for t in rows:
        who = "rig: not yet" if t.get("unsupported") else "bench: n/a"
        lines.append(f"{who:13}  {t['nodeid']:{width}}  {t.get('reason', '')}")
    return "\n".join(lines)


@click.command("run")
@click.option("--bench", default="sim", show_default=True, metavar="FILE|sim",
              help="Bench file (TOML), or 'sim' for the built-in simulated bench.")
@click.option("-k", "keyword", metavar="EXPR", help="Only tests matching this pytest -k expression.")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for run.json, junit.xml and evidence [default: results/<run id>].")
@click.option("--defect", "defects", multiple=True, metavar="ROLE:NAME",
              help="Make an emulated role misbehave in the named way (defect injection); repeatable.")
@click.option("--loss", type=click.FloatRange(0.0, 1.0, max_open=True), metavar="P",
              help="Probability the simulated radio medium loses a frame [default: the bench file's, else 0].")
@click.option("--seed", type=int, metavar="S", help="Seed of the medium's losses [default: the bench file's, else 1].")
@click.option("--suite", type=click.Path(exists=True, path_type=Path), envvar=SUITE_ENV, hidden=True,
              default=PROJECT_ROOT / "tests" / "conformance")
def run(bench: str, keyword: str | None, results: Path | None, defects: tuple[str, ...], loss: float | None,
        seed: int | None, suite: Path) -> None:
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
    if loss is not None:
        args += ["--loss", str(loss)]
    if seed is not None:
        args += ["--seed", str(seed)]
    code = pytest.main(args)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        click.echo(f"rig run: no conformance test selected in {suite}" + (f" by -k {keyword!r}" if keyword else ""),
                   err=True)
    sys.stdout.flush()
    tests = _tests(results)
    status = exit_status(int(code), tests)
    if status == EXIT_UNTESTED:
        click.echo(untested_table(tests), err=True)
    raise SystemExit(status)
