"""Long tests on a bench that runs in real time: a test whose waits exceed the bench's long_limit (declared with
``@pytest.mark.duration`` or found at the wait that would pass the limit, before waiting) is SKIPped for the user's
reason unless the run allows long tests (``--allow-long``); `rig run`'s exit status stays 0. The "dongle" is an
emulated NCP on a pty, so the bench runs in real time like one with a real radio."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
import pytest

from emulators.medium.medium import Medium
from emulators.ncp.server import PtyNcps
from harness.plugin.markers import too_long
from rig.bench.benchfile import sim_eui64
from rig.bench.builtin import resolve_bench
from rig.clock import VirtualClock
from harness.shared import PROJECT_ROOT
from rig.commands.run import EXIT_OK

SUITE = '''
import pytest

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf")
@pytest.mark.duration(7200)
def test_declared_long(han):
    pass

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf")
def test_waits_past_the_limit(han):
    han.run_for(0.5)
    han.run_for(1.0)

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf")
def test_short(han):
    han.run_for(0.5)
'''


@pytest.fixture(scope="module")
def pty_port():
    with PtyNcps(Medium(VirtualClock(), seed=3)) as ncps:
        yield ncps.add(int(sim_eui64(1), 16), version=14, name="chf")[1]


def rig_run(tmp_path: Path, port: str, *extra: str) -> tuple[dict[str, dict], int]:
    """`rig run` of the suite on a one-role real-time bench with a 1 s long_limit: ({test name: entry}, exit
    status)."""
    (tmp_path / "bench.toml").write_text(
        f'[bench]\nname = "pty"\nlong_limit = 1\n[roles.chf]\nkind = "emulator"\nboard = "sim"\n'
        f'radio = {{ kind = "ezsp", port = "{port}" }}\n')
    suite = tmp_path / "suite"
    suite.mkdir(exist_ok=True)
    (suite / "test_suite.py").write_text(SUITE)
    results = tmp_path / ("out" + "".join(extra))
    env = dict(os.environ, RIG_SUITE=str(suite), PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run([sys.executable, "-c", "from rig.cli import main; main()", "run", "--bench", "bench.toml",
                           "--results", str(results), *extra], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=240)
    tests = json.loads((results / "run.json").read_text())["tests"]
    return {t["nodeid"].rpartition("::")[2]: t for t in tests}, done.returncode


@pytest.mark.timeout(2 * 240 + 60)  # two runs, each under its own ceiling
def test_long_tests_skip_unless_allowed(tmp_path: Path, pty_port: str) -> None:
    tests, status = rig_run(tmp_path, pty_port)
    assert tests["test_short"]["verdict"] == "PASS", tests["test_short"]
    for name in ("test_declared_long", "test_waits_past_the_limit"):
        assert tests[name]["verdict"] == "SKIP", tests[name]
        assert "--allow-long" in tests[name]["reason"] and not tests[name]["unsupported"], tests[name]
    assert "7200 s" in tests["test_declared_long"]["reason"]
    assert status == EXIT_OK

    tests, status = rig_run(tmp_path, pty_port, "--allow-long")
    assert {name: t["verdict"] for name, t in tests.items()} == dict.fromkeys(tests, "PASS"), tests
    assert status == EXIT_OK


def test_simulated_benches_have_no_limit() -> None:
    sim = resolve_bench("sim")
    assert not sim.real_time and too_long(sim, 10 * sim.long_limit, allow_long=False) is None


def test_the_hour_long_interpan_window_tests_declare_their_wall_duration() -> None:
    """The inter-PAN window tests wait out the CH's 60 minutes: each declares it, beyond the default long_limit, so a
    real-time bench runs them only with --allow-long (and says why before waiting)."""
    text = (PROJECT_ROOT / "tests" / "conformance" / "test_hht_interpan.py").read_text()
    for name in ("test_interpan_refused_after_the_window", "test_window_restarts_at_each_power_on"):
        decorators = text[:text.index(f"def {name}(")].rsplit("\n\n\n", 1)[-1]
        assert "@pytest.mark.duration(WINDOW + 60" in decorators, (name, decorators)
    assert "WINDOW = 60 * 60 " in (PROJECT_ROOT / "tests" / "conformance" / "hht_steps.py").read_text()
    assert 60 * 60 > resolve_bench("sim").long_limit
