"""Records a run into the results store as it goes: after every test (one transaction each) and at the end.

A store that cannot be written is reported once and the run carries on: run.json stays the run's own record,
and `rig results import` can load it later.
"""
from __future__ import annotations

import socket
from typing import Any

import pytest
import sqlalchemy.exc

from harness.errors import InputError
from harness.store.record import parse_run
from harness.store.store import Store


class StoreRecorder:
    """A pytest plugin object beside the rig's run session, copying its results record into a store."""

    def __init__(self, session: Any, target: str):
        self.session = session
        self.target = target
        self.store: Store | None = None
        self.failed: str | None = None

    def sync(self) -> None:
        writer = getattr(self.session, "_writer", None)  # None until the run has recorded anything
        if writer is None or self.failed:
            return
        try:
            if self.store is None:
                self.store = Store(self.target)
            self.store.record(parse_run(writer.record.to_json(), host=socket.gethostname()), str(writer.folder))
        except (sqlalchemy.exc.SQLAlchemyError, OSError, InputError, RuntimeError) as exc:
            self.failed = f"results store {self.target}: {exc}"
            reporter = self.session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"warning: {self.failed}; run.json is kept (rig results import can load it)")

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self.sync()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        self.sync()
        if self.store is not None:
            self.store.close()
