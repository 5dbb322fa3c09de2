"""Verdict combination, evidence folder names and helpers, and the results files, without running pytest."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.errors import BoardLost, ConformanceFailure, RigTimeout
from harness.evidence import NAME_LIMIT, Evidence, safe_name
from harness.results import ResultsWriter, RunRecord, ResultEntry, junit_xml, new_run_id, summary_table
from harness.verdicts import Outcome, Verdict, classify, combine, one_line, over_channel

PASS, SKIP = Outcome(Verdict.PASS), Outcome(Verdict.SKIP, "not on this bench")
FAIL, ERROR = Outcome(Verdict.FAIL, "no CS14"), Outcome(Verdict.ERROR, "in fixture teardown: BoardLost: gone")


@pytest.mark.parametrize("exc, phase, verdict", [
    (ConformanceFailure("x"), "call", Verdict.FAIL),
    (ConformanceFailure("x"), "setup", Verdict.FAIL),
    (AssertionError("x"), "call", Verdict.FAIL),
    (AssertionError("x"), "setup", Verdict.ERROR),
    (BoardLost("x"), "call", Verdict.ERROR),
    (RigTimeout("x"), "call", Verdict.ERROR),
    (ValueError("x"), "call", Verdict.ERROR),
])
def test_classify(exc: BaseException, phase: str, verdict: Verdict) -> None:
    assert classify(exc, phase).verdict is verdict


@pytest.mark.parametrize("setup, call, teardown, expected", [
    (PASS, PASS, PASS, PASS),
    (PASS, FAIL, PASS, FAIL),
    (SKIP, None, PASS, SKIP),
    (ERROR, None, PASS, ERROR),
    (PASS, PASS, ERROR, ERROR),
    (PASS, SKIP, ERROR, ERROR),
    (PASS, FAIL, ERROR, Outcome(Verdict.FAIL, "no CS14; then in fixture teardown: BoardLost: gone")),
    (None, None, None, Outcome(Verdict.ERROR, "test did not run")),
])
def test_combine(setup, call, teardown, expected) -> None:
    assert combine(setup, call, teardown) == expected


def test_one_line() -> None:
    assert one_line("\n  first  \nsecond") == "first"
    assert len(one_line("x" * 500)) == 200


@pytest.mark.parametrize("nodeid, name", [
    ("tests/conformance/test_join.py::test_happy", "test_join__test_happy"),
    ("tests/conformance/test_join.py::TestJoin::test_a[esme-1]", "test_join__TestJoin__test_a-esme-1"),
    ("tests/conformance/test_join.py", "test_join"),
    ("x.py::test[../../etc]", "x__test-..-..-etc"),
])
def test_safe_name(nodeid: str, name: str) -> None:
    assert safe_name(nodeid) == name


def test_safe_name_long_ids_stay_unique() -> None:
    a, b = safe_name("t.py::test[" + "a" * 300 + "]"), safe_name("t.py::test[" + "a" * 299 + "b]")
    assert a != b and len(a) == len(b) == NAME_LIMIT


def test_evidence_helpers(tmp_path: Path) -> None:
    evidence = Evidence(tmp_path / "ev")
    evidence.transcript("one")
    evidence.transcript("two\n")
    source = tmp_path / "capture.pcap"
    source.write_bytes(b"\xd4\xc3\xb2\xa1")
    evidence.attach_file(source)
    assert (tmp_path / "ev" / "gbcs-transcript.txt").read_text() == "one\ntwo\n"
    assert (tmp_path / "ev" / "capture.pcap").read_bytes() == b"\xd4\xc3\xb2\xa1"
    assert [p.name for p in evidence.files()] == ["capture.pcap", "gbcs-transcript.txt"]
    for bad in ("../escape.txt", "", "a/b", ".."):
        with pytest.raises(ValueError):
            evidence.attach_text(bad, "x")
    with pytest.raises(ValueError):
        evidence.board_log("../chf", "x")


def record_with_tests() -> RunRecord:
    record = RunRecord(run_id=new_run_id(), bench={"name": "sim"}, versions={"python": "3.11", "firmware": {}},
                       started="2026-01-01T00:00:00.000Z")
    record.tests = [
        ResultEntry("tests/conformance/test_a.py::test_ok", Verdict.PASS, "", [13], "BAD 7.2.1.6.7", 1.5, []),
        ResultEntry("tests/conformance/test_a.py::TestX::test_bad", Verdict.FAIL, "no CS14", [14, 15], "GBCS 1",
                  0.25, ["test_a__TestX__test_bad/failure.txt"], details="traceback <here> & there"),
        ResultEntry("tests/conformance/test_a.py::test_err", Verdict.ERROR, "BoardLost: gone", [16], "BAD 2", 0, []),
        ResultEntry("tests/conformance/test_a.py::test_skip", Verdict.SKIP, "no gsme", [17], "BAD 3", 0, []),
    ]
    return record


def test_junit_from_record() -> None:
    root = ET.fromstring(junit_xml(record_with_tests()))
    suite = root.find("testsuite")
    assert suite.get("time") == "1.750"
    bad = suite.findall("testcase")[1]
    assert (bad.get("classname"), bad.get("name")) == ("tests.conformance.test_a.TestX", "test_bad")
    assert bad.find("failure").text == "traceback <here> & there"
    assert [(p.get("name"), p.get("value")) for p in bad.find("properties")] == [
        ("scenario", "14"), ("scenario", "15"), ("clause", "GBCS 1"),
        ("evidence", "test_a__TestX__test_bad/failure.txt")]


def test_writer_flushes_each_test(tmp_path: Path) -> None:
    full = record_with_tests()
    writer = ResultsWriter(tmp_path / "run", RunRecord(full.run_id, full.bench, full.versions, full.started))
    writer.add(full.tests[0])
    assert len(json.loads(writer.run_json.read_text())["tests"]) == 1
    writer.add(full.tests[1])
    writer.set_firmware_version("chf", "0.1.0+abc")
    data = json.loads(writer.run_json.read_text())
    assert data["finished"] is None and data["versions"]["firmware"] == {"chf": "0.1.0+abc"}
    assert "details" not in data["tests"][1]
    assert len(ET.parse(writer.junit).getroot().find("testsuite").findall("testcase")) == 2
    writer.finish("KeyboardInterrupt")
    data = json.loads(writer.run_json.read_text())
    assert data["finished"] and data["interrupted"] == "KeyboardInterrupt"
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["junit.xml", "run.json"]


def test_summary_table() -> None:
    lines = summary_table(record_with_tests()).splitlines()
    assert lines[0] == "PASS: 1  FAIL: 1  ERROR: 1  SKIP: 1  (total 4)"
    assert [line.split()[0] for line in lines[2:]] == ["FAIL", "ERROR", "SKIP"]
    assert lines[2].endswith("no CS14") and "test_ok" not in "\n".join(lines)


def test_not_applicable() -> None:
    from types import SimpleNamespace

    from harness.plugin.markers import not_applicable

    bench = SimpleNamespace(name="lab", roles={"chf": SimpleNamespace(kind="emulator"),
                                               "esme": SimpleNamespace(kind="dut")})
    assert not_applicable(bench, ["chf", "esme"], ["esme"]) is None
    assert not_applicable(bench, ["chf"], []) is None
    assert not_applicable(bench, ["chf", "gsme"], []) == "bench 'lab' has no gsme role"
    assert not_applicable(bench, ["chf", "esme"], ["chf"]) == "esme is a real device on bench 'lab'; this test emulates it"


@pytest.mark.parametrize("outcome, lost, verdict", [
    (FAIL, 2, Verdict.ERROR), (FAIL, 0, Verdict.FAIL), (PASS, 2, Verdict.PASS), (ERROR, 2, Verdict.ERROR)])
def test_a_fail_over_a_channel_that_lost_frames_beyond_retries_is_error(outcome, lost, verdict) -> None:
    judged = over_channel(outcome, lost)
    assert judged.verdict is verdict
    if outcome is FAIL and lost:
        assert judged.reason.startswith("the channel lost 2 frames") and "no CS14" in judged.reason
