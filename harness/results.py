"""A run's results folder: `run.json` (the record), `junit.xml` (made from the record) and a summary table.

Both files are rewritten (atomically) after every test, so an interrupted or crashed run keeps what it did.
"""
from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.errors import InputError
from harness.verdicts import Verdict

DETAILS_LIMIT = 20_000
MP_VERSION_SCRIPT = "import sys; print('%d.%d.%d (%s)' % (sys.implementation.version[:3] + (sys.version,)))"
PACKAGES = {"rig": "gb-han-rig", "zigpy": "zigpy", "bellows": "bellows", "cryptography": "cryptography"}


def new_run_id(now: dt.datetime | None = None) -> str:
    """UTC timestamp plus a short random suffix, e.g. ``20261122T105302Z-3fa9c1``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def utc_now() -> str:
    """The current UTC time, ISO 8601 with a Z."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def micropython_version() -> str | None:
    """The version of the MicroPython unix port beside this interpreter (or on PATH), None when absent."""
    exe = Path(sys.executable).with_name("micropython")
    path = str(exe) if exe.exists() else shutil.which("micropython")
    if not path:
        return None
    try:
        out = subprocess.run([path, "-c", MP_VERSION_SCRIPT], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def versions() -> dict:
    """Versions of the rig, Python, the MicroPython port and the libraries verdicts depend on."""
    found: dict = {"python": platform.python_version(), "micropython": micropython_version()}
    for key, dist in PACKAGES.items():
        try:
            found[key] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            found[key] = None
    found["firmware"] = {}
    return found


@dataclass
class ResultEntry:
    """One test's line in run.json; `details` (the failure text) goes to junit.xml only."""

    nodeid: str
    verdict: Verdict
    reason: str
    scenarios: list[int]
    clause: str | None
    duration: float
    evidence: list[str]
    roles: list[str] = field(default_factory=list)
    dut: list[str] = field(default_factory=list)
    unsupported: bool = False  # a SKIP because the rig does not support this bench yet (not the user's choice)
    details: str = ""

    def to_json(self) -> dict:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        data["duration"] = round(self.duration, 3)
        del data["details"]
        return data


@dataclass
class RunRecord:
    """Everything `run.json` holds."""

    run_id: str
    bench: dict
    versions: dict
    started: str
    finished: str | None = None
    interrupted: str | None = None
    tests: list[ResultEntry] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of tests per verdict (all four verdicts present)."""
        counts = {v.value: 0 for v in Verdict}
        for test in self.tests:
            counts[test.verdict.value] += 1
        return counts

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "bench": self.bench,
            "versions": self.versions,
            "started": self.started,
            "finished": self.finished,
            "interrupted": self.interrupted,
            "counts": self.counts(),
            "tests": [t.to_json() for t in self.tests],
        }


def claim_folder(folder: Path, *, force: bool = False, create: bool = True) -> None:
    """Make `folder` the new run's results folder: create it (unless not `create`), or take it when it is empty.
    A folder holding another run (a run.json) is refused unless `force`, which deletes that run first; a folder
    holding anything else is always refused. Raises InputError naming the folder and what to do."""
    try:
        entries = list(folder.iterdir()) if folder.is_dir() else None
        if entries:
            if not (folder / "run.json").is_file():
                raise InputError("is not empty and holds no run; choose a new folder", field=str(folder))
            if not force:
                raise InputError("already holds a run; choose a new folder, or --force to replace that run",
                                 field=str(folder))
            for entry in entries:
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        if create:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot be used as the results folder ({exc.strerror or exc})", field=str(folder)) from None


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _split_nodeid(nodeid: str) -> tuple[str, str]:
    """JUnit (classname, name) the way pytest makes them: path and classes dotted, then the function."""
    parts = nodeid.split("::")
    path = parts[0][:-3] if parts[0].endswith(".py") else parts[0]
    return ".".join([path.replace("/", ".")] + parts[1:-1]), parts[-1]


def junit_xml(record: RunRecord) -> bytes:
    """The record as JUnit XML: FAIL as <failure>, ERROR as <error>, SKIP as <skipped>."""
    counts = record.counts()
    total = sum(t.duration for t in record.tests)
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", {
        "name": "conformance", "tests": str(len(record.tests)), "failures": str(counts["FAIL"]),
        "errors": str(counts["ERROR"]), "skipped": str(counts["SKIP"]), "time": f"{total:.3f}",
        "timestamp": record.started,
    })
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="run_id", value=record.run_id)
    ET.SubElement(props, "property", name="bench", value=json.dumps(record.bench, sort_keys=True))
    for key, value in sorted(record.versions.items()):
        text = json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)
        ET.SubElement(props, "property", name=f"version.{key}", value=text)
    for test in record.tests:
        classname, name = _split_nodeid(test.nodeid)
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{test.duration:.3f}")
        case_props = ET.SubElement(case, "properties")
        for scenario in test.scenarios:
            ET.SubElement(case_props, "property", name="scenario", value=str(scenario))
        if test.clause:
            ET.SubElement(case_props, "property", name="clause", value=test.clause)
        for path in test.evidence:
            ET.SubElement(case_props, "property", name="evidence", value=path)
        tag = {Verdict.FAIL: "failure", Verdict.ERROR: "error", Verdict.SKIP: "skipped"}.get(test.verdict)
        if tag:
            child = ET.SubElement(case, tag, message=test.reason)
            if test.details and tag != "skipped":
                child.text = test.details[:DETAILS_LIMIT]
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


class ResultsWriter:
    """Keeps the run record and rewrites run.json and junit.xml in `folder` after each change."""

    def __init__(self, folder: Path, record: RunRecord):
        self.folder = folder
        self.record = record

    @property
    def run_json(self) -> Path:
        return self.folder / "run.json"

    @property
    def junit(self) -> Path:
        return self.folder / "junit.xml"

    def add(self, entry: ResultEntry) -> None:
        """Record one finished test and flush."""
        self.record.tests.append(entry)
        self.flush()

    def set_bench(self, bench: dict) -> None:
        self.record.bench = bench
        self.flush()

    def set_firmware_version(self, role: str, version: str) -> None:
        """Note the firmware version a board of `role` reported."""
        self.record.versions.setdefault("firmware", {})[role] = version
        self.flush()

    def set_radio_version(self, role: str, version: str) -> None:
        """Note what the radio of `role` runs (an NCP's EZSP and stack versions, or the simulated medium)."""
        self.record.versions.setdefault("radios", {})[role] = version
        self.flush()

    def finish(self, interrupted: str | None = None) -> None:
        """Stamp the end time and flush for the last time; `interrupted` says why the run stopped early."""
        self.record.finished = utc_now()
        self.record.interrupted = interrupted
        self.flush()

    def flush(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.run_json, (json.dumps(self.record.to_json(), indent=2) + "\n").encode())
        _atomic_write(self.junit, junit_xml(self.record))


def summary_table(record: RunRecord) -> str:
    """Counts per verdict, then one row per test that did not pass (verdict, test, reason)."""
    counts = record.counts()
    lines = ["  ".join(f"{v}: {n}" for v, n in counts.items()) + f"  (total {len(record.tests)})"]
    if record.interrupted:
        lines.append(f"run was interrupted ({record.interrupted}): later tests did not run")
    rows = [t for t in record.tests if t.verdict is not Verdict.PASS]
    if rows:
        width = max(len(t.nodeid) for t in rows)
        lines.append(f"{'verdict':7}  {'test':{width}}  reason")
        for t in rows:
            lines.append(f"{t.verdict.value:7}  {t.nodeid:{width}}  {t.reason}")
    return "\n".join(lines)
