"""`rig run`: run the conformance suites on a bench, with live progress, a summary, run.json and junit.xml.

Exit status: 0 when at least one test PASSed and every other test PASSed or was SKIPped for a reason the user
chose (a role the bench does not have); 1 when any test FAILed or ERRORed (a collection error counts as ERROR, and
so does a run stopped by SIGINT or SIGTERM: run.json then says so and keeps every finished test); 2 on a usage error
(a bad bench file or results folder, an unknown defect, a -k that selects nothing); 3 when nothing was tested (no
test PASSed), or tests were SKIPped because the rig does not support the bench yet: it then prints "nothing was
tested on this bench" (or what was not) and a table of why.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from harness.errors import InputError
from harness.shared import PROJECT_ROOT
from rig.bench.model import Bench, Emulator

SUITE_ENV = "RIG_SUITE"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNTESTED = 0, 1, 2, 3


def _check_bench(bench: str) -> Bench:
    """Load the bench once up front so a bad bench file is reported in one line before pytest starts."""
    from rig.bench.builtin import resolve_bench

    from rig.bench.runtime import sim_unavailable

    try:
        model = resolve_bench(bench)
    except InputError as exc:
        click.echo(f"rig run: bench: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from exc
    reason = sim_unavailable(model)
    if reason:
        click.echo(f"rig run: bench {model.name}: {reason}", err=True)
        raise SystemExit(EXIT_USAGE)
    return model


def _claim_results(results: Path, force: bool) -> None:
    """A fresh results folder, or one whose earlier run --force replaces; anything else is a usage error."""
    from harness.results import claim_folder

    try:
        claim_folder(results, force=force)
    except InputError as exc:
        click.echo(f"rig run: --results {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from exc


def _check_defects(defects: tuple[str, ...]) -> None:
    """Check every --defect up front: a typo is a usage error naming the known defects, not a run of ERRORs."""
    from emulators.defect_options import parse_defect_options

    try:
        parse_defect_options(list(defects))
    except InputError as exc:
        click.echo(f"rig run: {exc}", err=True)
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
              help="Folder for run.json, junit.xml and evidence; must be new or empty [default: results/<run id>].")
@click.option("--force", is_flag=True, help="Replace the run already in the --results folder.")
@click.option("--defect", "defects", multiple=True, metavar="ROLE:NAME",
              help="Make an emulated role misbehave in the named way (defect injection); repeatable.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Run the tests on this many independent simulated benches at once.")
@click.option("--loss", type=click.FloatRange(0.0, 1.0, max_open=True), metavar="P",
              help="Probability the simulated radio medium loses a frame [default: the bench file's, else 0].")
@click.option("--seed", type=int, metavar="S", help="Seed of the medium's losses [default: the bench file's, else 1].")
@click.option("--store", "store_url", default=str(Path("results") / "rig.db"), show_default=True,
              metavar="PATH|URL", envvar="RIG_RESULTS_STORE",
              help="Results store to record into (SQLite file or postgresql:// URL); '' for none.")
@click.option("--publish", metavar="URL", help="Push the finished run to this results dashboard (RIG_RESULTS_TOKEN).")
@click.option("--dut", "duts", multiple=True, metavar="ROLE",
              help="Seal the emulated ROLE as the device under test: tests that may judge it run with no handle on "
                   "its insides; the others SKIP. Repeatable.")
@click.option("--ui", "uis", multiple=True, metavar="ROLE:KIND",
              help="UI adapter of a real device under test: 'operator' or a vendor plugin's name. Repeatable.")
@click.option("--allow-long", is_flag=True,
              help="On a bench that runs in real time, also run tests that wait longer than its long_limit.")
@click.option("--suite", type=click.Path(exists=True, path_type=Path), envvar=SUITE_ENV, hidden=True,
              default=PROJECT_ROOT / "tests" / "conformance")
@click.option("--shard", hidden=True, metavar="K/N", help="Worker K of --workers N (used by --workers).")
def run(bench: str, keyword: str | None, results: Path | None, force: bool, defects: tuple[str, ...], workers: int,
        loss: float | None, seed: int | None, store_url: str, publish: str | None, duts: tuple[str, ...],
        uis: tuple[str, ...], allow_long: bool, suite: Path,
        shard: str | None) -> None:
    """Run the conformance suites on a bench and write the results folder."""
    import pytest

    from harness.results import new_run_id
    from rig.boards.sim import abandon_all
    from rig.commands.results import after_run
    from rig.signals import Interrupted, stop_on_signals

    model = _check_bench(bench)
    _check_defects(defects)
    if workers > 1 and not all(isinstance(r, Emulator) and r.simulated and r.radio.simulated
                               for r in model.roles.values()):
        click.echo(f"rig run: --workers {workers}: bench {model.name} has real boards, radios or devices; "
                   "several benches at once need simulated ones (e.g. --bench sim)", err=True)
        raise SystemExit(EXIT_USAGE)
    suite = suite.resolve()
    results = (results or Path("results") / new_run_id()).resolve()
    _claim_results(results, force)
    common = ["--bench", bench] + (["-k", keyword] if keyword else []) + [a for d in defects for a in ("--defect", d)]
    common += (["--loss", str(loss)] if loss is not None else []) + (["--seed", str(seed)] if seed is not None else [])
    common += [a for r in duts for a in ("--dut", r)] + [a for u in uis for a in ("--ui", u)]
    common += ["--allow-long"] if allow_long else []
    if workers > 1:
        status = _run_workers(results, workers, common, keyword, suite)
        after_run(results, status, store_url, publish)  # the merged run, once the workers are done
        raise SystemExit(status)
    args = [str(suite), "-p", "harness.pytest_plugin", "--results", str(results), "-o", f"conformance_paths={suite}",
            "--tb=no", "-q", "-rN", "-p", "no:hypothesispytest", *common] + (["--shard", shard] if shard else [])
    if store_url and not shard:
        args += ["--store", store_url]  # each finished test is recorded as it ends
    try:
        with stop_on_signals():
            code = pytest.main(args)
    except Interrupted as stop:  # before pytest's session began (a slow start-up): no test ran, none to record
        click.echo(f"rig run: interrupted ({stop}) before any test ran", err=True)
        code = pytest.ExitCode.INTERRUPTED
    finally:
        abandon_all()  # nothing of the bench outlives the run, even when a signal cut its teardown short
        if not any(results.iterdir()):
            results.rmdir()  # nothing ran: no empty folder left behind
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and not shard:
        _nothing_selected(suite, keyword)
    sys.stdout.flush()
    status = _report_status(int(code), _tests(results))
    if not shard:
        after_run(results, status, store_url, publish)
    raise SystemExit(status)



def _report_status(pytest_code: int, tests: list[dict]) -> int:
    """The exit status; when the bench went untested, the table of why is printed first."""
    status = exit_status(pytest_code, tests)
    if status == EXIT_UNTESTED:
        click.echo(untested_table(tests), err=True)
    return status


def _run_workers(results: Path, workers: int, common: list[str], keyword: str | None, suite: Path) -> int:
    """Run on `workers` benches (rig.parallel), print the merged summary; the `rig run` exit status."""
    import pytest

    from harness.results import summary_table, utc_now
    from rig.parallel import merge, run_workers

    started = utc_now()
    codes, interrupted = run_workers(results, workers, common + ["--suite", str(suite)], click.echo)
    if not interrupted and all(code == EXIT_USAGE for code in codes):
        shutil.rmtree(results)  # nothing ran: no folder left behind (it was new or emptied for this run)
        _nothing_selected(suite, keyword)
        return EXIT_USAGE
    record = merge(results, workers, started, interrupted)
    click.echo(summary_table(record))
    click.echo(f"results: {results / 'run.json'}")
    click.echo(f"junit:   {results / 'junit.xml'}")
    broken = [f"w{k} exited with {code}" for k, code in enumerate(codes) if code not in (EXIT_OK, EXIT_FAILED,
                                                                                         EXIT_USAGE)]
    if broken:
        click.echo(f"rig run: worker {', '.join(broken)}; see {results / 'workers'}/*.log", err=True)
    code = pytest.ExitCode.INTERRUPTED if record.interrupted else (
        pytest.ExitCode.INTERNAL_ERROR if broken else pytest.ExitCode.OK)
    return _report_status(int(code), [t.to_json() for t in record.tests])


def _nothing_selected(suite: Path, keyword: str | None) -> None:
    click.echo(f"rig run: no conformance test selected in {suite}" + (f" by -k {keyword!r}" if keyword else ""),
               err=True)
