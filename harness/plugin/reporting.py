"""Verdict reporting: each conformance test's verdict from its phases (`harness.verdicts`), one live line per
test, its entry in run.json and junit.xml (with its evidence files), collection errors as ERROR, an interrupted
test as ERROR, and the summary table at the end."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from harness.plugin.evidence import EvidenceKeeper
from harness.plugin.markers import marker_args
from harness.plugin.session import NotSupportedYet, RunSession
from harness.results import ResultEntry, summary_table
from harness.verdicts import Outcome, Verdict, classify, combine, one_line, over_channel


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


class VerdictReporter:
    """Phase outcomes per test until its teardown, then its verdict in the results and on the terminal."""

    def __init__(self, run: RunSession, keeper: EvidenceKeeper):
        self.run = run
        self.keeper = keeper
        self._phases: dict[str, dict[str, Outcome]] = {}
        self._details: dict[str, str] = {}
        self._durations: dict[str, float] = {}
        self._marks: dict[str, dict] = {}
        self._seen: set[str] = set()
        self._interrupted: str | None = None
        self._running: str | None = None
        self._unsupported: set[str] = set()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and self.run.is_conformance(Path(self.run.config.rootpath, report.fspath)):
            self.run.writer.add(ResultEntry(nodeid=report.nodeid, verdict=Verdict.ERROR, scenarios=[], clause=None,
                                            reason=_collect_error_reason(report.longreprtext), duration=0.0,
                                            evidence=[], details=report.longreprtext))

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if self.run.is_conformance(Path(self.run.config.rootpath, location[0])):
            self._running = nodeid

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
        report = yield
        if self.run.is_conformance(item.path):
            if report.when == "setup":
                clause = marker_args(item, "clause")
                self._marks[item.nodeid] = {
                    "scenario": [i for mark in item.iter_markers("scenario") for i in mark.args],
                    "clause": clause[0] if clause else None,
                    "roles": marker_args(item, "roles"), "dut": marker_args(item, "dut")}
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
                               self.run.channel_lost.pop(nodeid, 0))
        details = self._details.pop(nodeid, "")
        duration = self._durations.pop(nodeid, 0.0)
        item_marks = self._marks.pop(nodeid, {})
        files = self.keeper.finish(nodeid, details, report.sections)
        self.run.writer.add(ResultEntry(nodeid=nodeid, verdict=outcome.verdict, reason=outcome.reason,
                                        scenarios=item_marks.get("scenario", []), clause=item_marks.get("clause"),
                                        roles=item_marks.get("roles", []), dut=item_marks.get("dut", []),
                                        unsupported=outcome.verdict is Verdict.SKIP and nodeid in self._unsupported,
                                        duration=duration, evidence=files, details=details))
        self._unsupported.discard(nodeid)
        reporter = self.run.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reason = f"  {outcome.reason}" if outcome.reason else ""
            reporter.write_line(f"{outcome.verdict.value:5} {duration:7.2f}s  {nodeid}{reason}")

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        self._interrupted = one_line(str(excinfo.value)) or excinfo.typename
        if self._running is not None:
            nodeid, self._running = self._running, None
            marks = self._marks.pop(nodeid, {})
            self.run.writer.add(ResultEntry(
                nodeid=nodeid, verdict=Verdict.ERROR, reason=f"interrupted ({self._interrupted}) before it finished",
                scenarios=marks.get("scenario", []), clause=marks.get("clause"),
                duration=self._durations.pop(nodeid, 0.0), evidence=self.keeper.files(nodeid)))

    def pytest_sessionfinish(self) -> None:
        if self.run.has_writer:
            self.run.writer.finish(interrupted=self._interrupted)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.run.has_writer:
            return
        writer = self.run.writer
        terminalreporter.write_sep("=", "conformance summary")
        terminalreporter.write_line(summary_table(writer.record))
        terminalreporter.write_line(f"results: {writer.run_json}")
        terminalreporter.write_line(f"junit:   {writer.junit}")
