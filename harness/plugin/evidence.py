"""Each conformance test's evidence folder (`<results>/<safe test name>/`): what the test and its fixtures put
there (pcap and keys, GBCS transcript), plus its failure text, captured output and the part of each board's link
log written while it ran."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from harness.evidence import Evidence, safe_name
from harness.plugin.session import RunSession

KEEPER_KEY = pytest.StashKey["EvidenceKeeper"]()


def evidence_keeper(config: pytest.Config) -> "EvidenceKeeper":
    return config.stash[KEEPER_KEY]


class EvidenceKeeper:
    """Evidence folders by test, and where each board's link log stood when each test began."""

    def __init__(self, run: RunSession):
        self.run = run
        self._evidence: dict[str, Evidence] = {}
        self._folders: dict[str, str] = {}
        self._log_marks: dict[str, dict[str, int]] = {}

    def evidence_for(self, nodeid: str) -> Evidence:
        """The evidence folder of the test `nodeid` (created on first use)."""
        if nodeid not in self._evidence:
            name = safe_name(nodeid)
            if name in self._folders.values():
                name = safe_name(nodeid + "#" + str(len(self._folders)))
            self._folders[nodeid] = name
            self._evidence[nodeid] = Evidence(self.run.folder / name)
        return self._evidence[nodeid]

    def files(self, nodeid: str) -> list[str]:
        """The test's evidence files, relative to the results folder."""
        evidence = self._evidence.get(nodeid)
        return [str(p.relative_to(self.run.folder)) for p in evidence.files()] if evidence else []

    def finish(self, nodeid: str, details: str, sections: list[tuple[str, str]]) -> list[str]:
        """Put the failure text, captured output and the test's slice of the board link logs in its folder; the
        folder's files."""
        log_marks = self._log_marks.pop(nodeid, None)
        if details or sections or log_marks is not None or nodeid in self._evidence:
            evidence = self.evidence_for(nodeid)
            if log_marks is not None:
                self._copy_link_logs(log_marks, evidence)
            if details:
                evidence.attach_text("failure.txt", details)
            if sections:
                evidence.attach_text("output.txt", "".join(f"--- {title} ---\n{body.rstrip()}\n"
                                                           for title, body in sections))
        return self.files(nodeid)

    def _link_logs(self) -> dict[str, Path]:
        return {p.name.removesuffix(".link.log"): p for p in sorted(self.run.bench_dir.glob("*.link.log"))}

    def _copy_link_logs(self, marks: dict[str, int], evidence: Evidence) -> None:
        """The part of each board's link log (frames, board output) written while the test ran."""
        for role, path in self._link_logs().items():
            with path.open("rb") as handle:
                handle.seek(marks.get(role, 0))
                data = handle.read()
            if data:
                evidence.path(f"board-{role}.link.log").write_bytes(data)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        if self.run.is_conformance(item.path) and {"bench", "han"} & set(getattr(item, "fixturenames", ())):
            self._log_marks[item.nodeid] = {role: p.stat().st_size for role, p in self._link_logs().items()}
        return (yield)
