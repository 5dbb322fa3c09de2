"""The `bench`, `clock` and `bench_model` fixtures on a one-board simulated bench (starts one MicroPython port)."""
from __future__ import annotations

import json

import pytest

BENCH = '[bench]\nname = "one-chf"\n[roles.chf]\nkind = "emulator"\nboard = "sim"\nradio = { kind = "sim" }\n'
SUITE = '''
import pytest

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf")
def test_uses_bench(bench, clock, bench_model):
    assert bench_model.name == "one-chf" and bench.roles == ("chf",)
    before = clock.now()
    clock.advance(3600)
    assert clock.now() == before + 3600
    bench.link("chf").call("log", text="hello from the test")

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("esme")
def test_needs_missing_role(bench):
    pass
'''


@pytest.mark.timeout(120)
def test_bench_fixture_on_sim_board(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.path / "bench.toml").write_text(BENCH)
    (pytester.path / "tests" / "conformance").mkdir(parents=True)
    (pytester.path / "tests" / "conformance" / "test_b.py").write_text(SUITE)
    results = pytester.path / "out"
    result = pytester.runpytest("-p", "harness.pytest_plugin", "--bench", "bench.toml", "--results", str(results))
    record = json.loads((results / "run.json").read_text())
    verdicts = {t["nodeid"].rsplit("::")[-1]: (t["verdict"], t["reason"]) for t in record["tests"]}
    assert verdicts == {"test_uses_bench": ("PASS", ""),
                        "test_needs_missing_role": ("SKIP", "bench 'one-chf' has no esme role")}, result.stdout.str()
    assert record["bench"]["name"] == "one-chf" and record["bench"]["roles"]["chf"]["kind"] == "emulator"
    assert record["versions"]["firmware"]["chf"]
    log = results / "test_b__test_uses_bench" / "board-chf.link.log"
    assert "hello from the test" in log.read_text()
