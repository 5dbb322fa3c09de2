"""Bench faults and bench limits: a board lost in the middle of a conformance test gives ERROR, never FAIL, and
the next test gets the board back; a HAN test on a bench it cannot run on yet is SKIPped with the reason."""
from __future__ import annotations

import json

import pytest

BENCH = ('[bench]\nname = "chf-esme"\n'
         '[roles.chf]\nkind = "emulator"\nboard = "sim"\nradio = { kind = "sim" }\n'
         '[roles.esme]\nkind = "emulator"\nboard = "sim"\nradio = { kind = "sim" }\n')
SUITE = '''
import pytest

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
def test_chf_board_lost(han, bench):
    bench.board("chf").kill()
    han.prenotify("esme")
    response = han.dcc.add_device(han.chf_eui, han.eui("esme"), bytes(16), 90)
    assert response.ok

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
def test_next_test_runs_on_the_recovered_board(han):
    han.prenotify("esme")
    response = han.dcc.add_device(han.chf_eui, han.eui("esme"), bytes(16), 90)
    assert response.ok
'''


def run_suite(pytester: pytest.Pytester, bench: str, suite: str, *args: str) -> tuple[list[dict], pytest.RunResult]:
    """Run `suite` as a conformance test file on the bench file `bench` (more pytest `args` if given):
    (run.json's tests, pytest's result)."""
    pytester.makeini("[pytest]\n")
    (pytester.path / "bench.toml").write_text(bench)
    (pytester.path / "tests" / "conformance").mkdir(parents=True)
    (pytester.path / "tests" / "conformance" / "test_suite.py").write_text(suite)
    results = pytester.path / "out"
    result = pytester.runpytest_subprocess("-p", "harness.pytest_plugin", "--bench", "bench.toml",
                                           "--results", str(results), *args)
    return json.loads((results / "run.json").read_text())["tests"], result


@pytest.mark.timeout(120)
def test_lost_board_is_an_error_then_recovered(pytester: pytest.Pytester) -> None:
    (lost, recovered), result = run_suite(pytester, BENCH, SUITE)
    assert lost["verdict"] == "ERROR", result.stdout.str()
    assert "board" in lost["reason"].lower(), lost["reason"]
    assert recovered["verdict"] == "PASS", (recovered, result.stdout.str())


DUT_BENCH = ('[bench]\nname = "dut"\n'
             '[roles.chf]\nkind = "emulator"\nboard = "sim"\nradio = { kind = "sim" }\n'
             '[roles.esme]\nkind = "dut"\neui64 = "00:0D:6F:00:0A:BC:DE:F0"\n'
             'install_code = "83FED3407A939723A5C639B26916D505C3B5"\nvia = "chf"\n')
DUT_SUITE = '''
import pytest

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("esme")
def test_join(han):
    raise AssertionError("must not run")
'''


@pytest.mark.timeout(120)
def test_han_tests_skip_where_the_bench_cannot_run_them(pytester: pytest.Pytester) -> None:
    [test], result = run_suite(pytester, DUT_BENCH, DUT_SUITE)
    assert test["verdict"] == "SKIP", result.stdout.str()
    assert "real device under test (esme)" in test["reason"], test["reason"]
