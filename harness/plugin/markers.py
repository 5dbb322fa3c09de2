"""The conformance markers and what the plugin checks with them: at collection, that each conformance test names
its scenarios (known ids from scenarios.json), its clause, and consistent roles, DUT roles and UI roles; at setup,
whether the bench can run it (the roles it needs, which of them may be a real or sealed device under test; on a
real-time bench, whether its waits fit the bench's long_limit or long tests are allowed)."""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from harness.errors import InputError, LongWait
from harness.plugin.session import run_session
from harness.shared import shared_path

MARKERS = (
    "scenario(*ids): scenario ids from shared/domain/scenarios.json this test demonstrates",
    "clause(text): BAD or GBCS clause the test checks",
    "roles(*roles): bench roles the test needs",
    "dut(*roles): roles that may be the device under test",
    "policy(**settings): the bench policies (how the CH reads the BAD where it reads two ways) this test needs",
    "ui(*roles): roles whose human interface (keypad, display, supply) the test uses, through the ui fixture",
    "duration(seconds): seconds the test waits (its wall time on a bench that runs in real time)",
)
BENCH_FIXTURES = ("bench_model", "bench", "han")
_KNOWN = pytest.StashKey["set[int] | None"]()


def known_scenarios() -> set[int] | None:
    """Scenario ids from the shared scenarios.json, or None when the shared material is absent."""
    path = shared_path("domain", "scenarios.json")
    if path is None:
        return None
    try:
        ids = {entry["id"] for entry in json.loads(path.read_text())["scenarios"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a scenario list ({exc})", field=str(path)) from exc
    if not all(type(i) is int for i in ids):
        raise InputError("scenario ids must be integers", field=str(path))
    return ids


def marker_problems(item: pytest.Item, known: set[int] | None) -> list[str]:
    """What is wrong with a conformance test's markers (empty when nothing is)."""
    problems = []
    ids = [i for mark in item.iter_markers("scenario") for i in mark.args]
    if not ids:
        problems.append("no @pytest.mark.scenario(<ids from scenarios.json>)")
    for i in ids:
        if type(i) is not int:
            problems.append(f"scenario id {i!r} is not an integer")
        elif known is not None and i not in known:
            problems.append(f"unknown scenario id {i} (not in scenarios.json)")
    clause = item.get_closest_marker("clause")
    if clause is None:
        problems.append('no @pytest.mark.clause("<BAD or GBCS clause>")')
    elif len(clause.args) != 1 or not isinstance(clause.args[0], str) or not clause.args[0].strip():
        problems.append("clause marker takes exactly one non-empty string")
    roles = item.get_closest_marker("roles")
    dut = item.get_closest_marker("dut")
    for mark in (roles, dut):
        if mark is not None and (not mark.args or not all(isinstance(r, str) and r for r in mark.args)):
            problems.append(f"{mark.name} marker takes one or more role names")
    if roles is not None and dut is not None and not set(dut.args) <= set(roles.args):
        problems.append(f"dut roles {sorted(set(dut.args) - set(roles.args))} are not among the test's roles")
    ui = item.get_closest_marker("ui")
    if "ui" in getattr(item, "fixturenames", ()) and ui is None:
        problems.append("uses the ui fixture without @pytest.mark.ui(<roles>)")
    if ui is not None and roles is not None and not set(ui.args) <= set(roles.args):
        problems.append(f"ui roles {sorted(set(ui.args) - set(roles.args))} are not among the test's roles")
    return problems


def not_applicable(bench: Any, roles: list[str], dut: list[str], sealed: tuple[str, ...] = ()) -> str | None:
    """Why a test needing `roles` (of which `dut` may be the device under test) cannot run on `bench` with the
    `sealed` roles under test."""
    missing = [r for r in roles if r not in bench.roles]
    if missing:
        return f"bench {bench.name!r} has no {', '.join(missing)} role"
    real = [r for r in roles if bench.roles[r].kind == "dut" and r not in dut]
    if real:
        return f"{', '.join(real)} is a real device on bench {bench.name!r}; this test emulates it"
    judged = [r for r in sealed if r not in dut]
    if judged:
        return f"{', '.join(judged)} is the device under test of this run (--dut); this test does not judge it"
    return None


def too_long(bench: Any, seconds: float, allow_long: bool) -> str | None:
    """Why a test waiting `seconds` does not run on `bench` (None when it does): only on a real-time bench, when
    the waits exceed its long_limit and long tests were not allowed."""
    if allow_long or not bench.real_time or seconds <= bench.long_limit:
        return None
    return (f"waits {seconds:.0f} s of wall time on this real-time bench (limit {bench.long_limit:.0f} s); "
            "rig run --allow-long runs it")


def sealed_roles(config: pytest.Config, bench: Any) -> tuple[str, ...]:
    """The roles of ``--dut``: each an emulated role of the bench (else a usage error)."""
    roles = tuple(dict.fromkeys(config.getoption("rig_dut", None) or ()))
    for role in roles:
        if role not in bench.roles or bench.roles[role].kind == "dut":
            raise pytest.UsageError(f"--dut {role}: bench {bench.name!r} has no emulated {role} to seal")
    return roles


def marker_args(item: pytest.Item, name: str) -> list:
    mark = item.get_closest_marker(name)
    return list(mark.args) if mark else []


def _known(config: pytest.Config) -> set[int] | None:
    if _KNOWN not in config.stash:
        try:
            config.stash[_KNOWN] = known_scenarios()
        except InputError as exc:
            raise pytest.UsageError(str(exc)) from exc
    return config.stash[_KNOWN]


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """A conformance module whose tests' markers are wrong fails collection, naming each problem."""
    report = yield
    if report.outcome == "passed" and run_session(collector.config).is_conformance(collector.path):
        problems = [f"{item.nodeid}: {p}" for item in report.result if isinstance(item, pytest.Item)
                    for p in marker_problems(item, _known(collector.config))]
        if problems:
            text = "\n".join(f"conformance test markers: {p}" for p in problems)
            report = pytest.CollectReport(report.nodeid, "failed", text, [], report.sections)
    return report


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (0 <= K < N) as (K, N); a usage error otherwise."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 0 <= int(k) < int(n)):
        raise pytest.UsageError(f"--shard {text!r}: expected K/N with 0 <= K < N, e.g. 0/2")
    return int(k), int(n)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--shard K/N``: keep the selected tests K, K+N, K+2N... (worker K of ``rig run --workers N``)."""
    shard = config.getoption("--shard", None)
    if shard:
        k, n = parse_shard(shard)
        config.hook.pytest_deselected(items=[item for i, item in enumerate(items) if i % n != k])
        items[:] = items[k::n]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Load the bench before any test starts (a bad bench file stops the run), and note the roles the selected
    tests need (the session's bench starts only those)."""
    from harness.plugin.fixtures import parse_defects

    run = run_session(session.config)
    parse_defects(session.config.getoption("--defect", []))  # a typo stops the run before any test starts
    needing = [item for item in session.items if run.is_conformance(item.path)
               and (item.get_closest_marker("roles") or set(BENCH_FIXTURES) & set(item.fixturenames))]
    if needing:
        run.bench_model()
    marked = [marker_args(item, "roles") for item in needing]
    run.roles_needed = set().union(*marked) if marked and all(marked) else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """SKIP a conformance test the bench cannot run, with the reason."""
    run = run_session(item.config)
    if run.is_conformance(item.path) and item.get_closest_marker("roles"):
        bench = run.bench_model()
        reason = not_applicable(bench, marker_args(item, "roles"), marker_args(item, "dut"),
                                sealed_roles(item.config, bench))
        if reason:
            pytest.skip(reason)
    if run.is_conformance(item.path) and item.get_closest_marker("duration"):
        reason = too_long(run.bench_model(), float(marker_args(item, "duration")[0]),
                          item.config.getoption("--allow-long", False))
        if reason:
            pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    try:
        return (yield)
    except LongWait as exc:  # a wait past the real-time bench's limit, found while running: the user's SKIP
        pytest.skip(str(exc))
