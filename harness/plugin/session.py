"""The state of one rig run under pytest: its id, results folder and writer, the bench it runs on, and which
test files are conformance tests."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from harness.errors import InputError
from harness.results import ResultsWriter, RunRecord, claim_folder, new_run_id, utc_now, versions

SESSION_KEY = pytest.StashKey["RunSession"]()


class NotSupportedYet(pytest.skip.Exception):
    """Skip a test because the rig does not support this bench yet (e.g. HAN sessions on EZSP radios): unlike a
    skip the user chose (a role the bench lacks), it makes `rig run` say that nothing was tested (exit 3)."""


def run_session(config: pytest.Config) -> "RunSession":
    """The rig's state for this pytest run (results writer, evidence folders, bench model)."""
    return config.stash[SESSION_KEY]


def describe_bench(bench: Any) -> dict:
    """The bench as run.json records it: name, source file, channel and per role its kind and ports (a real DUT:
    its identity from the bench file; an emulated role's firmware is what its board reports, in the versions)."""
    roles = {}
    for name, role in bench.roles.items():
        if role.kind == "dut":
            roles[name] = {"kind": "dut", "eui64": role.eui64, "via": role.via, "manufacturer": role.manufacturer,
                           "model": role.model, "firmware": role.firmware_version}
        else:
            roles[name] = {"kind": role.kind, "board": role.board, "radio": role.radio.kind,
                           "radio_port": role.radio.port, "eui64": role.eui64}
    return {"name": bench.name, "source": str(bench.source) if bench.source else None, "channel": bench.channel,
            "radio": {"loss": bench.loss, "seed": bench.seed}, "roles": roles}


def with_radio_conditions(bench: Any, loss: float | None, seed: int | None) -> Any:
    """`bench` with the command line's --loss and --seed in place of its own (None keeps the bench's)."""
    if loss is not None and not 0.0 <= loss < 1.0:
        raise InputError(f"--loss {loss}: expected a probability 0 <= P < 1")
    changes = {k: v for k, v in (("loss", loss), ("seed", seed)) if v is not None}
    return dataclasses.replace(bench, **changes) if changes else bench


class RunSession:
    """Per-run state shared by the plugin's modules."""

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
        self._bench_model: Any = None
        self.channel_lost: dict[str, int] = {}  # nodeid -> frames its radio channel lost beyond every retry
        self.roles_needed: set[str] | None = None  # roles the selected tests need (None: all)

    def is_conformance(self, path: Path) -> bool:
        path = Path(path).resolve()
        return any(path == root or root in path.parents for root in self._roots)

    @property
    def has_writer(self) -> bool:
        return self._writer is not None

    @property
    def writer(self) -> ResultsWriter:
        """The results writer (its folder and files appear on first use)."""
        if self._writer is None:
            bench = {"name": self.bench_arg}
            record = RunRecord(run_id=self.run_id, bench=bench, versions=versions(), started=self.started)
            self._writer = ResultsWriter(self.folder, record)
            self._writer.flush()
        return self._writer

    @property
    def bench_dir(self) -> Path:
        """Where the session's bench runtime keeps its boards and link logs."""
        return self.folder / "bench"

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

    def running_bench(self) -> Any:
        """The part of the bench this run starts: every role a selected test needs (all when one has no roles)."""
        model = self.bench_model()
        if self.roles_needed is None:
            return model
        return dataclasses.replace(model, roles={name: role for name, role in model.roles.items()
                                                 if role.kind == "dut" or name in self.roles_needed})
