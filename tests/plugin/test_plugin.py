"""The plugin on tiny fake conformance suites: verdicts, marker checks, run.json, junit.xml, evidence."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SUITE = '''
import pytest
from harness.errors import BenchFault, BoardLost, ConformanceFailure

mark = [pytest.mark.scenario(1, 2), pytest.mark.clause("BAD 7.2.1.6.7")]

@pytest.fixture
def broken_fixture():
    raise RuntimeError("fixture could not start the emulator")

@pytest.fixture
def broken_teardown():
    yield
    raise BoardLost("CHF board vanished")

@pytest.fixture
def dut_check_in_fixture():
    raise ConformanceFailure("DUT refused the join")

@pytest.mark.scenario(1, 2)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("esme")
def test_pass(evidence):
    evidence.transcript("CCS01 -> CHF")
    evidence.board_log("chf", "device log: add 00-11")
    evidence.attach_text("note.txt", "hello")

@pytest.mark.scenario(1)
@pytest.mark.clause("BAD 7.2.1.6.7")
def test_assert(evidence):
    evidence.transcript("written before the failure")
    assert 1 + 1 == 3, "arithmetic is broken"

@pytest.mark.scenario(2)
@pytest.mark.clause("GBCS 4.3.3")
def test_conformance_failure():
    raise ConformanceFailure("CS14 not sent after the device joined")

@pytest.mark.scenario(2)
@pytest.mark.clause("GBCS 4.3.3")
def test_bench_fault():
    raise BenchFault("radio reset twice")

@pytest.mark.scenario(2)
@pytest.mark.clause("GBCS 4.3.3")
def test_other_exception():
    {}["missing"]

@pytest.mark.scenario(2)
@pytest.mark.clause("GBCS 4.3.3")
def test_fixture_error(broken_fixture):
    pass

@pytest.mark.scenario(2)
@pytest.mark.clause("GBCS 4.3.3")
def test_teardown_error(broken_teardown):
    pass

@pytest.mark.scenario(2)
@pytest.mark.clause("GBCS 4.3.3")
def test_failure_in_fixture(dut_check_in_fixture):
    pass

@pytest.mark.scenario(2)
@pytest.mark.clause("GBCS 4.3.3")
def test_skip():
    pytest.skip("no GSME on this bench")

@pytest.mark.scenario(2)
@pytest.mark.clause("GBCS 4.3.3")
def test_pytest_fail():
    pytest.fail("gave up waiting")

@pytest.mark.scenario(2)
@pytest.mark.clause("GBCS 4.3.3")
def test_prints():
    print("captured line from the test")
    assert False
'''

EXPECTED = {
    "test_pass": ("PASS", ""),
    "test_assert": ("FAIL", "arithmetic is broken"),
    "test_conformance_failure": ("FAIL", "CS14 not sent after the device joined"),
    "test_bench_fault": ("ERROR", "BenchFault: radio reset twice"),
    "test_other_exception": ("ERROR", "KeyError: 'missing'"),
    "test_fixture_error": ("ERROR", "in fixture setup: RuntimeError: fixture could not start the emulator"),
    "test_teardown_error": ("ERROR", "in fixture teardown: BoardLost: CHF board vanished"),
    "test_failure_in_fixture": ("FAIL", "DUT refused the join"),
    "test_skip": ("SKIP", "no GSME on this bench"),
    "test_pytest_fail": ("ERROR", "Failed: gave up waiting"),
    "test_prints": ("FAIL", "assert False"),
}


@pytest.fixture
def scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake shared folder whose scenarios.json knows ids 1 and 2 only."""
    domain = tmp_path / "fake-shared" / "domain"
    domain.mkdir(parents=True)
    (domain / "scenarios.json").write_text(json.dumps({"scenarios": [{"id": 1}, {"id": 2}]}))
    monkeypatch.setenv("RIG_SHARED", str(tmp_path / "fake-shared"))


def write_suite(pytester: pytest.Pytester, source: str, name: str = "test_fake.py") -> None:
    pytester.makeini("[pytest]\n")
    folder = pytester.path / "tests" / "conformance"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(source)


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, Path]:
    results = pytester.path / "out"
    # no_reraise_ctrlc: a KeyboardInterrupt inside the fake suite must not stop this test run
    result = pytester.runpytest("-p", "harness.pytest_plugin", "--results", str(results), *args,
                                no_reraise_ctrlc=True)
    return result, results


def entries(results: Path) -> dict[str, dict]:
    record = json.loads((results / "run.json").read_text())
    return {t["nodeid"].rsplit("::", 1)[-1]: t for t in record["tests"]}


def test_verdicts_reasons_and_live_lines(pytester: pytest.Pytester, scenarios: None) -> None:
    write_suite(pytester, SUITE)
    result, results = run(pytester)
    tests = entries(results)
    assert {name: (t["verdict"], t["reason"]) for name, t in tests.items()} == EXPECTED
    for name, (verdict, reason) in EXPECTED.items():
        result.stdout.re_match_lines([rf"^{verdict}\s+\d+\.\d\ds  tests/conformance/test_fake.py::{name}\b.*"])
    assert result.ret == 1


def test_run_json_fields(pytester: pytest.Pytester, scenarios: None) -> None:
    write_suite(pytester, SUITE)
    _, results = run(pytester, "--bench", "sim")
    record = json.loads((results / "run.json").read_text())
    assert record["bench"]["name"] == "sim"
    assert record["bench"]["roles"]["chf"] == {"kind": "emulator", "board": "sim", "radio": "sim", "radio_port": None,
                                               "eui64": "0253494D00000001"}
    assert record["finished"] >= record["started"]
    assert record["interrupted"] is None
    assert record["counts"] == {"PASS": 1, "FAIL": 4, "ERROR": 5, "SKIP": 1}
    for key in ("rig", "python", "micropython", "zigpy", "bellows", "cryptography", "firmware"):
        assert key in record["versions"]
    assert record["versions"]["zigpy"].startswith("2.4")
    passed = entries(results)["test_pass"]
    assert passed["nodeid"] == "tests/conformance/test_fake.py::test_pass"
    assert passed["scenarios"] == [1, 2]
    assert passed["clause"] == "BAD 7.2.1.6.7"
    assert passed["roles"] == ["chf", "esme"] and passed["dut"] == ["esme"]
    assert isinstance(passed["duration"], float)


def test_evidence_lands_even_on_failure(pytester: pytest.Pytester, scenarios: None) -> None:
    write_suite(pytester, SUITE)
    _, results = run(pytester)
    tests = entries(results)
    folder = "test_fake__test_pass"
    assert sorted(tests["test_pass"]["evidence"]) == [
        f"{folder}/board-chf.log", f"{folder}/gbcs-transcript.txt", f"{folder}/note.txt"]
    assert (results / folder / "board-chf.log").read_text() == "device log: add 00-11\n"
    failed = tests["test_assert"]["evidence"]
    assert "test_fake__test_assert/gbcs-transcript.txt" in failed
    assert "arithmetic is broken" in (results / "test_fake__test_assert" / "failure.txt").read_text()
    assert "captured line from the test" in (results / "test_fake__test_prints" / "output.txt").read_text()
    for test in tests.values():
        assert all((results / path).is_file() for path in test["evidence"])


def test_junit_structure(pytester: pytest.Pytester, scenarios: None) -> None:
    write_suite(pytester, SUITE)
    _, results = run(pytester)
    suite = ET.parse(results / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
        ("11", "4", "5", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == set(EXPECTED)
    tag = {"PASS": None, "FAIL": "failure", "ERROR": "error", "SKIP": "skipped"}
    for name, (verdict, reason) in EXPECTED.items():
        children = [c.tag for c in cases[name] if c.tag != "properties"]
        assert children == ([tag[verdict]] if tag[verdict] else []), name
        if tag[verdict]:
            assert cases[name].find(tag[verdict]).get("message") == reason
    props = [(p.get("name"), p.get("value")) for p in cases["test_pass"].find("properties")]
    assert ("scenario", "1") in props and ("scenario", "2") in props and ("clause", "BAD 7.2.1.6.7") in props
    assert cases["test_pass"].get("classname") == "tests.conformance.test_fake"
    assert "arithmetic is broken" in cases["test_assert"].find("failure").text


def test_summary_table_printed(pytester: pytest.Pytester, scenarios: None) -> None:
    write_suite(pytester, SUITE)
    result, results = run(pytester)
    result.stdout.re_match_lines([r".*conformance summary.*", r"^PASS: 1  FAIL: 4  ERROR: 5  SKIP: 1  \(total 11\)$",
                                  r"^verdict\s+test\s+reason$"])
    result.stdout.re_match_lines([r"^SKIP\s+tests/conformance/test_fake.py::test_skip\s+no GSME on this bench$"])
    result.stdout.fnmatch_lines([f"results: {results / 'run.json'}"])
    rows = [line for line in result.stdout.lines if line.startswith(("FAIL ", "ERROR ", "SKIP "))]
    assert not any("::test_pass" in line for line in rows)


@pytest.mark.parametrize("source, problem", [
    ('@pytest.mark.clause("BAD 1")\ndef test_a(): pass', "no @pytest.mark.scenario"),
    ('@pytest.mark.scenario(1)\ndef test_a(): pass', "no @pytest.mark.clause"),
    ('@pytest.mark.scenario(1)\n@pytest.mark.clause("")\ndef test_a(): pass', "exactly one non-empty string"),
    ('@pytest.mark.scenario("one")\n@pytest.mark.clause("BAD 1")\ndef test_a(): pass', "is not an integer"),
    ('@pytest.mark.scenario(1)\n@pytest.mark.clause("BAD 1")\n@pytest.mark.roles("chf")\n@pytest.mark.dut("esme")\n'
     'def test_a(): pass', "dut roles ['esme'] are not among the test's roles"),
    ('@pytest.mark.scenario(1, 99)\n@pytest.mark.clause("BAD 1")\ndef test_a(): pass', "unknown scenario id 99"),
])
def test_bad_markers_are_collection_errors(pytester: pytest.Pytester, scenarios: None, source: str,
                                           problem: str) -> None:
    write_suite(pytester, "import pytest\n" + source + "\n")
    result, results = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    prefix = "conformance test markers: tests/conformance/test_fake.py::test_a: "
    assert any(line.startswith(prefix) and problem in line for line in result.stdout.lines)
    record = json.loads((results / "run.json").read_text())
    assert [(t["nodeid"], t["verdict"]) for t in record["tests"]] == [("tests/conformance/test_fake.py", "ERROR")]
    assert record["tests"][0]["reason"].startswith("collection error: conformance test markers: ")
    assert record["interrupted"] == "1 error during collection"
    assert problem in (results / "junit.xml").read_text().replace("&apos;", "'").replace("&quot;", '"')


def test_markers_on_class_and_module_count(pytester: pytest.Pytester, scenarios: None) -> None:
    write_suite(pytester, 'import pytest\npytestmark = pytest.mark.clause("BAD 1")\n'
                          '@pytest.mark.scenario(2)\nclass TestJoin:\n    def test_a(self): pass\n')
    result, results = run(pytester)
    assert result.ret == 0
    assert entries(results)["test_a"]["scenarios"] == [2]


def test_unknown_id_allowed_without_shared(pytester: pytest.Pytester, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIG_SHARED", str(tmp_path / "absent"))
    write_suite(pytester, 'import pytest\n@pytest.mark.scenario(99)\n@pytest.mark.clause("BAD 1")\n'
                          'def test_a(): pass\n')
    result, _ = run(pytester)
    assert result.ret == 0


def test_real_scenario_ids(pytester: pytest.Pytester, shared) -> None:
    shared("domain", "scenarios.json")
    write_suite(pytester, 'import pytest\n@pytest.mark.scenario(13)\n@pytest.mark.clause("BAD 7.2.1.6.7")\n'
                          'def test_a(): pass\n@pytest.mark.scenario(100000)\n@pytest.mark.clause("BAD 1")\n'
                          'def test_b(): pass\n')
    result, _ = run(pytester)
    result.stdout.fnmatch_lines(["*test_fake.py::test_b: unknown scenario id 100000*"])
    assert "test_a:" not in result.stdout.str()


def test_tests_outside_conformance_paths_are_left_alone(pytester: pytest.Pytester, scenarios: None) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_unit="def test_plain(): assert True\n")
    result, results = run(pytester)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 passed*"])
    assert not results.exists()


def test_conformance_paths_setting(pytester: pytest.Pytester, scenarios: None) -> None:
    pytester.makeini("[pytest]\nconformance_paths = vendor\n")
    (pytester.path / "vendor").mkdir()
    (pytester.path / "vendor" / "test_v.py").write_text("def test_unmarked(): pass\n")
    result, _ = run(pytester)
    result.stdout.fnmatch_lines(["*test_v.py::test_unmarked: no @pytest.mark.scenario*"])


def test_rig_timeout_is_error(pytester: pytest.Pytester, scenarios: None) -> None:
    write_suite(pytester, 'import pytest, time\n@pytest.mark.scenario(1)\n@pytest.mark.clause("BAD 1")\n'
                          '@pytest.mark.timeout(0.2)\ndef test_hangs():\n    time.sleep(5)\n')
    _, results = run(pytester)
    test = entries(results)["test_hangs"]
    assert test["verdict"] == "ERROR" and "Timeout" in test["reason"]


def test_interrupt_keeps_what_ran(pytester: pytest.Pytester, scenarios: None) -> None:
    write_suite(pytester, 'import pytest\nm = [pytest.mark.scenario(1), pytest.mark.clause("BAD 1")]\n'
                          '@pytest.mark.scenario(1)\n@pytest.mark.clause("BAD 1")\ndef test_a(evidence):\n'
                          '    evidence.transcript("a")\n'
                          '@pytest.mark.scenario(2)\n@pytest.mark.clause("BAD 1")\ndef test_b(evidence):\n'
                          '    evidence.transcript("b")\n    raise KeyboardInterrupt\n'
                          '@pytest.mark.scenario(2)\n@pytest.mark.clause("BAD 1")\ndef test_c():\n    pass\n')
    result, results = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    record = json.loads((results / "run.json").read_text())
    assert [(t["nodeid"].rsplit("::")[-1], t["verdict"]) for t in record["tests"]] == [
        ("test_a", "PASS"), ("test_b", "ERROR")]
    assert record["tests"][1]["reason"] == "interrupted (KeyboardInterrupt) before it finished"
    assert record["tests"][1]["evidence"] == ["test_fake__test_b/gbcs-transcript.txt"]
    assert record["interrupted"] == "KeyboardInterrupt" and record["finished"]
    assert ET.parse(results / "junit.xml").getroot().find("testsuite").get("errors") == "1"


@pytest.mark.parametrize("extra", [[], ["-p", "harness.pytest_plugin"]])
def test_conformance_conftest_loads_plugin(pytester: pytest.Pytester, scenarios: None, extra: list[str]) -> None:
    """tests/conformance/conftest.py brings the plugin in when the whole tests/ tree is collected (or with -p)."""
    write_suite(pytester, 'import pytest\n@pytest.mark.scenario(1)\n@pytest.mark.clause("BAD 1")\n'
                          'def test_a(evidence):\n    evidence.transcript("x")\n')
    conftest = Path(__file__).resolve().parents[1] / "conformance" / "conftest.py"
    (pytester.path / "tests" / "conformance" / "conftest.py").write_text(conftest.read_text())
    pytester.makepyfile(**{"tests/unit/test_unit": "def test_u(): pass\n"})
    result = pytester.runpytest("tests", *extra)
    assert result.ret == 0
    result.stdout.re_match_lines([r"^PASS\s+\d+\.\d\ds  tests/conformance/test_fake.py::test_a$"])
    (folder,) = (pytester.path / "results").iterdir()
    record = json.loads((folder / "run.json").read_text())
    assert [t["nodeid"] for t in record["tests"]] == ["tests/conformance/test_fake.py::test_a"]


def test_bad_bench_file_is_a_usage_error(pytester: pytest.Pytester, scenarios: None) -> None:
    write_suite(pytester, 'import pytest\n@pytest.mark.scenario(1)\n@pytest.mark.clause("BAD 1")\n'
                          '@pytest.mark.roles("chf")\ndef test_a(): pass\n')
    (pytester.path / "bench.toml").write_text("[bench]\nchannel = 5\n")
    result, _ = run(pytester, "--bench", "bench.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: bench: bench.toml: bench.channel: *"])
