"""pytest plugin of the conformance rig: bench fixtures, markers, verdicts, evidence and the results folder.

Options: ``--bench FILE|sim`` (default ``sim``), ``--results DIR`` (default ``<rootdir>/results/<run id>``),
``--defect ROLE:NAME`` and ``--loss P``/``--seed S`` (the simulated medium's loss, over the bench file's).
The ini setting ``conformance_paths`` (default ``tests/conformance``) says where conformance tests live: each
must carry ``@pytest.mark.scenario(<ids>)`` and ``@pytest.mark.clause("BAD 7.2.1.6.7")`` or collection fails;
scenario ids are checked against ``scenarios.json`` when the shared material is present. Conformance tests get a
verdict (see `harness.verdicts`), one live progress line each, an entry in run.json and junit.xml, and a
summary table at the end.

Fixtures: ``bench_model`` (the loaded bench), ``bench`` (the session's running bench), ``clock`` (the run's
clock), ``evidence`` (the test's evidence folder, `harness.evidence.Evidence`). A test whose ``roles`` are not
on the bench, or that would have to emulate a role the bench has as a real DUT, is skipped (markers on a
``pytest.param`` give each parametrised case its own roles); a test the rig cannot run on this bench yet raises
`NotSupportedYet`, recorded as such in run.json. Each test's folder also gets its failure text, captured output
and the part of each board's link log written while it ran.

Load with ``-p harness.pytest_plugin`` (what `rig run` does) or as the pytest11 entry point. When imported late
(from a conftest at configure time) the options take their defaults.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness.errors import InputError
from harness.evidence import Evidence, safe_name
from harness.results import (ResultEntry, ResultsWriter, RunRecord, claim_folder, new_run_id, summary_table, utc_now,
                             versions)
from harness.shared import shared_path
from harness.verdicts import Outcome, Verdict, classify, combine, one_line, over_channel

MARKERS = (
    "scenario(*ids): scenario ids from shared/domain/scenarios.json this test demonstrates",
    "clause(text): BAD or GBCS clause the test checks",
    "roles(*roles): bench roles the test needs",
    "dut(*roles): roles that may be the device under test",
)
SESSION_KEY = pytest.StashKey["RunSession"]()
BENCH_FIXTURES = ("bench_model", "bench", "han")


class NotSupportedYet(pytest.skip.Exception):
    """Skip a test because the rig does not support this bench yet (e.g. HAN sessions on EZSP radios): unlike a
    skip the user chose (a role the bench lacks), it makes `rig run` say that nothing was tested (exit 3)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rig", "GB HAN conformance rig")
    group.addoption("--bench", default="sim", metavar="FILE|sim",
                    help="bench description (TOML file) or 'sim' for the built-in simulated bench (default)")
    group.addoption("--results", default=None, metavar="DIR",
                    help="folder for run.json, junit.xml and evidence (default <rootdir>/results/<run id>)")
    group.addoption("--defect", action="append", default=[], metavar="ROLE:NAME",
                    help="make an emulated role misbehave in the named way (defect injection; repeatable)")
    group.addoption("--shard", default=None, metavar="K/N",
                    help="run only the selected tests K, K+N, K+2N... (0-based): worker K of rig run --workers N")
    group.addoption("--loss", type=float, default=None, metavar="P",
                    help="probability the simulated medium loses a frame (overrides the bench file's [radio] loss)")
    group.addoption("--seed", type=int, default=None, metavar="S",
                    help="seed of the simulated medium's losses (overrides the bench file's [radio] seed)")
    group.addoption("--store", default=None, metavar="PATH|URL",
                    help="also record the run into this results store (SQLite file or postgresql:// URL)")
    parser.addini("conformance_paths", type="linelist", default=["tests/conformance"],
                  help="folders (relative to rootdir, or absolute) holding conformance tests")


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    session = RunSession(config)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "rig-run-session")
    if config.getoption("--store", None):
        from harness.store.recorder import StoreRecorder

        config.pluginmanager.register(StoreRecorder(session, config.getoption("--store")), "rig-results-store")


def run_session(config: pytest.Config) -> "RunSession":
    """The rig's state for this pytest run (results writer, evidence folders, bench model)."""
    return config.stash[SESSION_KEY]


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
    return problems


def describe_bench(bench: Any) -> dict:
    """The bench as run.json records it: name, source file, channel and per role its kind and ports."""
    roles = {}
    for name, role in bench.roles.items():
        if role.kind == "dut":
            roles[name] = {"kind": "dut", "eui64": role.eui64, "via": role.via}
        else:
            roles[name] = {"kind": role.kind, "board": role.board, "radio": role.radio.kind,
                           "radio_port": role.radio.port}
    return {"name": bench.name, "source": str(bench.source) if bench.source else None, "channel": bench.channel,
            "radio": {"loss": bench.loss, "seed": bench.seed}, "roles": roles}


def with_radio_conditions(bench: Any, loss: float | None, seed: int | None) -> Any:
    """`bench` with the command line's --loss and --seed in place of its own (None keeps the bench's)."""
    if loss is not None and not 0.0 <= loss < 1.0:
        raise InputError(f"--loss {loss}: expected a probability 0 <= P < 1")
    changes = {k: v for k, v in (("loss", loss), ("seed", seed)) if v is not None}
    return dataclasses.replace(bench, **changes) if changes else bench


def not_applicable(bench: Any, roles: list[str], dut: list[str]) -> str | None:
    """Why a test needing `roles` (of which `dut` may be the device under test) cannot run on `bench`."""
    missing = [r for r in roles if r not in bench.roles]
    if missing:
        return f"bench {bench.name!r} has no {', '.join(missing)} role"
    real = [r for r in roles if bench.roles[r].kind == "dut" and r not in dut]
    if real:
        return f"{', '.join(real)} is a real device on bench {bench.name!r}; this test emulates it"
    return None


def _needs_bench(item: pytest.Item) -> bool:
    return bool(item.get_closest_marker("roles")) or bool(
        set(BENCH_FIXTURES) & set(getattr(item, "fixturenames", ())))


def _marker_args(item: pytest.Item, name: str) -> list:
    mark = item.get_closest_marker(name)
    return list(mark.args) if mark else []


def _skip_reason(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return one_line(f"expected failure: {report.wasxfail}")
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return one_line(text.removeprefix("Skipped: "))


def _failure_text(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> str:
    """The failure's traceback for the evidence folder, also when the terminal shows none (``--tb=no``)."""
    if call.excinfo is None or item.config.getoption("tbstyle", "auto") != "no":
        return report.longreprtext
    return str(item._repr_failure_py(call.excinfo, style="short"))  # what --tb=short would have shown


def _collect_error_reason(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("E "):
            return one_line(f"collection error: {line[1:].strip()}")
    return one_line(f"collection error: {one_line(text)}")


class RunSession:
    """Per-run state: which tests are conformance tests, their phase outcomes, evidence and the results."""

    def __init__(self, config: pytest.Config):
        self.config = config
        option = config.getoption("--results", None)
        self.folder = Path(option).resolve() if option else config.rootpath / "results" / new_run_id()
        self.run_id = self.folder.name
        if option:  # a folder holding another run stops this one before it starts
            try:
                claim_folder(self.folder, create=False)
            except InputError as exc:
                raise pytest.UsageError(f"--results {exc}") from None
        self.started = utc_now()
        self.bench_arg: str = config.getoption("--bench", "sim")
        self._writer: ResultsWriter | None = None
        self._roots = [(config.rootpath / p).resolve() for p in config.getini("conformance_paths")]
        self._known: set[int] | None | bool = False
        self._phases: dict[str, dict[str, Outcome]] = {}
        self._details: dict[str, str] = {}
        self._durations: dict[str, float] = {}
        self._marks: dict[str, dict] = {}
        self._seen: set[str] = set()
        self._log_marks: dict[str, dict[str, int]] = {}
        self._evidence: dict[str, Evidence] = {}
        self._folders: dict[str, str] = {}
        self._bench_model: Any = None
        self._interrupted: str | None = None
        self._running: str | None = None
        self.channel_lost: dict[str, int] = {}  # nodeid -> frames its radio channel lost beyond every retry
        self._unsupported: set[str] = set()
        self.roles_needed: set[str] | None = None  # roles the selected tests need (None: all)

    # -- what counts as a conformance test --------------------------------------------------------------
    def is_conformance(self, path: Path) -> bool:
        path = Path(path).resolve()
        return any(path == root or root in path.parents for root in self._roots)

    def _known_scenarios(self) -> set[int] | None:
        if self._known is False:
            try:
                self._known = known_scenarios()
            except InputError as exc:
                raise pytest.UsageError(str(exc)) from exc
        return self._known  # type: ignore[return-value]

    # -- results ---------------------------------------------------------------------------------------
    @property
    def writer(self) -> ResultsWriter:
        """The results writer (its folder and files appear on first use)."""
        if self._writer is None:
            bench = {"name": self.bench_arg}
            record = RunRecord(run_id=self.run_id, bench=bench, versions=versions(), started=self.started)
            self._writer = ResultsWriter(self.folder, record)
            self._writer.flush()
        return self._writer

    def evidence_for(self, nodeid: str) -> Evidence:
        """The evidence folder of the test `nodeid` (created on first use)."""
        if nodeid not in self._evidence:
            name = safe_name(nodeid)
            if name in self._folders.values():
                name = safe_name(nodeid + "#" + str(len(self._folders)))
            self._folders[nodeid] = name
            self._evidence[nodeid] = Evidence(self.folder / name)
        return self._evidence[nodeid]

    # -- bench -----------------------------------------------------------------------------------------
    def bench_model(self) -> Any:
        """The bench named by ``--bench``, loaded once; a bad bench file is a usage error."""
        if self._bench_model is None:
            from rig.bench.builtin import resolve_bench

            try:
                self._bench_model = with_radio_conditions(resolve_bench(self.bench_arg),
                                                          self.config.getoption("--loss", None),
                                                          self.config.getoption("--seed", None))
            except InputError as exc:
                raise pytest.UsageError(f"bench: {exc}") from exc
            self.writer.set_bench(describe_bench(self._bench_model))
        return self._bench_model

    # -- hooks -----------------------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Iterator[None]:
        report = yield
        if report.outcome == "passed" and self.is_conformance(collector.path):
            problems = [f"{item.nodeid}: {p}" for item in report.result if isinstance(item, pytest.Item)
                        for p in marker_problems(item, self._known_scenarios())]
            if problems:
                text = "\n".join(f"conformance test markers: {p}" for p in problems)
                report = pytest.CollectReport(report.nodeid, "failed", text, [], report.sections)
        if report.failed and self.is_conformance(collector.path):
            self.writer.add(ResultEntry(nodeid=report.nodeid, verdict=Verdict.ERROR, scenarios=[], clause=None,
                                        reason=_collect_error_reason(report.longreprtext), duration=0.0,
                                        evidence=[], details=report.longreprtext))
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        shard = config.getoption("--shard", None)
        if shard:
            k, n = parse_shard(shard)
            config.hook.pytest_deselected(items=[item for i, item in enumerate(items) if i % n != k])
            items[:] = items[k::n]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        parse_defects(self.config.getoption("--defect", []))  # a typo stops the run before any test starts
        needing = [item for item in session.items if self.is_conformance(item.path) and _needs_bench(item)]
        if needing:
            self.bench_model()  # a bad bench file stops the run before any test starts
        marked = [_marker_args(item, "roles") for item in needing]
        self.roles_needed = set().union(*marked) if marked and all(marked) else None

    def running_bench(self) -> Any:
        """The part of the bench this run starts: every role a selected test needs (all when one has no roles)."""
        model = self.bench_model()
        if self.roles_needed is None:
            return model
        return dataclasses.replace(model, roles={name: role for name, role in model.roles.items()
                                                 if role.kind == "dut" or name in self.roles_needed})

    @property
    def bench_dir(self) -> Path:
        """Where the session's bench runtime keeps its boards and link logs."""
        return self.folder / "bench"

    def _link_logs(self) -> dict[str, Path]:
        return {p.name.removesuffix(".link.log"): p for p in sorted(self.bench_dir.glob("*.link.log"))}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if not self.is_conformance(item.path):
            return
        self._running = item.nodeid
        if {"bench", "han"} & set(getattr(item, "fixturenames", ())):
            self._log_marks[item.nodeid] = {role: p.stat().st_size for role, p in self._link_logs().items()}
        if item.get_closest_marker("roles"):
            reason = not_applicable(self.bench_model(), _marker_args(item, "roles"), _marker_args(item, "dut"))
            if reason:
                pytest.skip(reason)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
        report = yield
        if self.is_conformance(item.path):
            if report.when == "setup":
                clause = _marker_args(item, "clause")
                self._marks[item.nodeid] = {
                    "scenario": [i for mark in item.iter_markers("scenario") for i in mark.args],
                    "clause": clause[0] if clause else None,
                    "roles": _marker_args(item, "roles"), "dut": _marker_args(item, "dut")}
            if report.passed:
                outcome = Outcome(Verdict.PASS)
            elif report.skipped:
                outcome = Outcome(Verdict.SKIP, _skip_reason(report))
                if call.excinfo is not None and isinstance(call.excinfo.value, NotSupportedYet):
                    self._unsupported.add(item.nodeid)
            elif call.excinfo is not None:
                outcome = classify(call.excinfo.value, report.when)
                self._details[item.nodeid] = _failure_text(item, call, report)
            else:
                outcome = Outcome(Verdict.ERROR, one_line(report.longreprtext) or f"{report.when} failed")
                self._details[item.nodeid] = report.longreprtext
            self._phases.setdefault(item.nodeid, {})[report.when] = outcome
            self._seen.add(item.nodeid)
            self._durations[item.nodeid] = self._durations.get(item.nodeid, 0.0) + report.duration
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Iterator[None]:
        status = yield
        if getattr(report, "when", None) and report.nodeid in self._seen:
            return status[0], "", ""  # the live line (pytest_runtest_logreport) replaces pytest's letter
        return status

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown" or report.nodeid not in self._phases:
            return
        nodeid = report.nodeid
        self._running = None
        phases = self._phases.pop(nodeid)
        outcome = over_channel(combine(phases.get("setup"), phases.get("call"), phases.get("teardown")),
                               self.channel_lost.pop(nodeid, 0))
        details = self._details.pop(nodeid, "")
        duration = self._durations.pop(nodeid, 0.0)
        item_marks = self._marks.pop(nodeid, {})
        self._save_evidence(nodeid, details, report.sections, self._log_marks.pop(nodeid, None))
        files = self._evidence_files(nodeid)
        self.writer.add(ResultEntry(nodeid=nodeid, verdict=outcome.verdict, reason=outcome.reason,
                                    scenarios=item_marks.get("scenario", []), clause=item_marks.get("clause"),
                                    roles=item_marks.get("roles", []), dut=item_marks.get("dut", []),
                                    unsupported=outcome.verdict is Verdict.SKIP and nodeid in self._unsupported,
                                    duration=duration, evidence=files, details=details))
        self._unsupported.discard(nodeid)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reason = f"  {outcome.reason}" if outcome.reason else ""
            reporter.write_line(f"{outcome.verdict.value:5} {duration:7.2f}s  {nodeid}{reason}")

    def _save_evidence(self, nodeid: str, details: str, sections: list[tuple[str, str]],
                       log_marks: dict[str, int] | None) -> None:
        """Put the failure text, captured output and the test's slice of the board link logs in its folder."""
        if not (details or sections or log_marks is not None or nodeid in self._evidence):
            return
        evidence = self.evidence_for(nodeid)
        if log_marks is not None:
            self._copy_link_logs(log_marks, evidence)
        if details:
            evidence.attach_text("failure.txt", details)
        if sections:
            evidence.attach_text("output.txt", "".join(f"--- {title} ---\n{body.rstrip()}\n"
                                                       for title, body in sections))

    def _evidence_files(self, nodeid: str) -> list[str]:
        evidence = self._evidence.get(nodeid)
        return [str(p.relative_to(self.folder)) for p in evidence.files()] if evidence else []

    def _copy_link_logs(self, marks: dict[str, int], evidence: Evidence) -> None:
        """The part of each board's link log (frames, board output) written while the test ran."""
        for role, path in self._link_logs().items():
            with path.open("rb") as handle:
                handle.seek(marks.get(role, 0))
                data = handle.read()
            if data:
                evidence.path(f"board-{role}.link.log").write_bytes(data)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        self._interrupted = one_line(str(excinfo.value)) or excinfo.typename
        if self._running is not None:
            nodeid, self._running = self._running, None
            marks = self._marks.pop(nodeid, {})
            self.writer.add(ResultEntry(
                nodeid=nodeid, verdict=Verdict.ERROR, reason=f"interrupted ({self._interrupted}) before it finished",
                scenarios=marks.get("scenario", []), clause=marks.get("clause"),
                duration=self._durations.pop(nodeid, 0.0), evidence=self._evidence_files(nodeid)))

    def pytest_sessionfinish(self) -> None:
        if self._writer is not None:
            self._writer.finish(interrupted=self._interrupted)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self._writer is None:
            return
        terminalreporter.write_sep("=", "conformance summary")
        terminalreporter.write_line(summary_table(self._writer.record))
        terminalreporter.write_line(f"results: {self._writer.run_json}")
        terminalreporter.write_line(f"junit:   {self._writer.junit}")


@pytest.fixture(scope="session")
def bench_model(request: pytest.FixtureRequest) -> Any:
    """The bench named by ``--bench`` (default: the built-in simulated bench)."""
    return run_session(request.config).bench_model()


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (0 <= K < N) as (K, N); a usage error otherwise."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 0 <= int(k) < int(n)):
        raise pytest.UsageError(f"--shard {text!r}: expected K/N with 0 <= K < N, e.g. 0/2")
    return int(k), int(n)


def parse_defects(values: list[str]) -> dict[str, tuple[str, ...]]:
    """``ROLE:NAME`` options as {role: (names...)}; a usage error names a malformed or unknown one."""
    from emulators.defect_options import parse_defect_options

    try:
        return parse_defect_options(values)
    except InputError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def defects(request: pytest.FixtureRequest) -> dict[str, tuple[str, ...]]:
    """Defects the emulators play this run (``--defect ROLE:NAME``): {role: (names...)}."""
    return parse_defects(request.config.getoption("--defect", []))


@pytest.fixture(scope="session")
def provisioning(request: pytest.FixtureRequest, bench_model: Any) -> Any:
    """The run's identities: a bench SMKI, CBKE certificates from the rig test CA, install codes."""
    from emulators.provision import Provisioning

    session = run_session(request.config)
    euis = {name: role.eui64 for name, role in bench_model.roles.items()}
    return Provisioning(session.bench_dir / "provisioning", euis)


@pytest.fixture(scope="session")
def bench(request: pytest.FixtureRequest, bench_model: Any, provisioning: Any,
          defects: dict[str, tuple[str, ...]]) -> Iterator[Any]:
    """The running bench for the whole session (the boards of the roles the selected tests need started, links
    open); stopped at the end."""
    from rig.bench.runtime import BenchRuntime

    session = run_session(request.config)
    extra = lambda role: provisioning.board_config(role, defects.get(role, ()))  # noqa: E731
    with BenchRuntime(session.running_bench(), session.bench_dir, board_extra=extra) as runtime:
        for role in runtime.roles:
            hello = runtime.link(role).hello
            if hello is not None:
                session.writer.set_firmware_version(role, hello.fw)
        yield runtime


@pytest.fixture
def clock(bench: Any) -> Any:
    """The run's clock (virtual on the simulated bench)."""
    return bench.clock


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """This test's evidence folder, ``<results>/<safe test name>/``."""
    return run_session(request.config).evidence_for(request.node.nodeid)


@pytest.fixture
def han(request: pytest.FixtureRequest, bench_model: Any, provisioning: Any, defects: dict[str, tuple[str, ...]],
        evidence: Evidence) -> Iterator[Any]:
    """A fresh HAN session (DCC core, CHF, joining devices) on the session's bench; every board's role state is
    reset first, and a board lost in an earlier test is recovered. The capture (pcap + keys) and the GBCS
    transcript land in the test's evidence folder. An alert the CHF got wrong (bad MAC, malformed CS14) that the
    test did not already fail on is the device's FAIL at teardown."""
    from emulators.medium.medium import Impairments
    from harness.errors import BenchFault
    from rig.han_session import HanSession, unsupported

    reason = unsupported(bench_model)
    if reason:
        raise NotSupportedYet(reason)
    bench = request.getfixturevalue("bench")
    for role in bench.roles:
        try:
            bench.link(role).call("reset")
        except BenchFault as fault:  # lost in an earlier test (that test got ERROR): bring it back for this one
            evidence.append("bench.log", f"{role}: {fault}; recovering the board")
            bench.recover(role)
            bench.link(role).call("reset")
        bench.link(role).events()  # what the board raised before its reset belongs to the earlier test
    session = HanSession(bench, provisioning, evidence.path("han"), defects=defects, seed=bench_model.seed,
                         impairments=Impairments(loss=bench_model.loss))
    try:
        yield session
    finally:
        session.close()
        for entry in session.dcc.transcript:
            evidence.transcript(entry.line())
        lost = session.medium.beyond_retries
        run_session(request.config).channel_lost[request.node.nodeid] = len(lost)
        for when, sender, receiver in lost:
            evidence.append("bench.log", f"{when:.3f} the channel lost a frame {sender} -> {receiver} "
                                         "through every MAC retry")
    session.dcc.check()
