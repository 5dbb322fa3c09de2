"""The nightly sequence as CI makes it: three real `rig run`s on a simulated bench whose emulated ESME is the
device under test (sealed: ``--dut esme``), in two firmware releases (the bench file's ``firmware_version``, which
the ESME's board reports in its hello), each recording into one results store as it goes. A few fast tests only:

run 1, ESME 1.0 playing defect utrn_skip_check_digit: the check-digit test FAILs (1.1 fixes it);
run 2, ESME 1.1 playing utrn_no_replay_check and utrn_accept_bad_mac: the replay test FAILs (a new failure), and so
    does the foreign-MAC test;
run 3, ESME 1.1 playing no defect, its board killed as the replay test starts (ERROR: a bench fault, not a verdict on
    the device); the foreign-MAC test PASSes again (it flips on 1.1: flaky); a HAN join leaves a capture (pcap).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.shared import PROJECT_ROOT

HERE = Path(__file__).resolve().parent
PREFIX = "tests/conformance/test_utrn_keypad.py::"
REPLAY = PREFIX + "test_same_utrn_twice_is_rejected[esme]"           # the regression
CHECK_DIGIT = PREFIX + "test_wrong_check_digit_is_rejected[esme]"    # the fix
FOREIGN_MAC = PREFIX + "test_utrn_with_another_suppliers_key_is_rejected[esme]"  # the flake
JOIN = "tests/conformance/test_han_join.py::test_full_join[esme]"    # the capture
KEYPAD = "(test_utrn_keypad and esme and (twice or check_digit or another_suppliers))"
ROLE = '[roles.{0}]\nkind = "emulator"\nboard = "sim"\nradio = {{ kind = "sim" }}\n'


@dataclass(frozen=True)
class NightlyRun:
    firmware: str
    defects: tuple[str, ...] = ()
    kill_at: str | None = None  # the ESME's board dies as the test whose node id holds this starts
    join: bool = False          # also run the HAN join (the CHF's board too)


NIGHTLY = (NightlyRun("1.0", ("esme:utrn_skip_check_digit",)),
           NightlyRun("1.1", ("esme:utrn_no_replay_check", "esme:utrn_accept_bad_mac")),
           NightlyRun("1.1", kill_at="test_same_utrn_twice", join=True))
EXPECTED = (  # what each run must give, checked before the dashboard is looked at
    {REPLAY: "PASS", CHECK_DIGIT: "FAIL", FOREIGN_MAC: "PASS"},
    {REPLAY: "FAIL", CHECK_DIGIT: "PASS", FOREIGN_MAC: "FAIL"},
    {REPLAY: "ERROR", CHECK_DIGIT: "PASS", FOREIGN_MAC: "PASS", JOIN: "PASS"})


def bench_file(folder: Path, run: NightlyRun) -> Path:
    path = folder / f"nightly-{run.firmware}{'-join' if run.join else ''}.toml"
    roles = (ROLE.format("chf") if run.join else "") + ROLE.format("esme") + f'firmware_version = "{run.firmware}"\n'
    path.write_text('[bench]\nname = "nightly"\n' + roles)
    return path


def rig_run(folder: Path, store: Path, index: int, run: NightlyRun) -> tuple[Path, dict]:
    """Run `run` (number `index`) as CI would; its results folder and run.json."""
    results = folder / f"run{index + 1}"
    keyword = KEYPAD + (" or (test_full_join and esme)" if run.join else "")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((str(PROJECT_ROOT), str(HERE))))
    env.pop("RIG_RESULTS_STORE", None)
    if run.kill_at:
        env.update(PYTEST_ADDOPTS="-p board_killer", RIG_KILL_BOARD=f"esme@{run.kill_at}")
    args = ["run", "--bench", str(bench_file(folder, run)), "--results", str(results), "--store", str(store),
            "--dut", "esme", "-k", keyword] + [a for d in run.defects for a in ("--defect", d)]
    done = subprocess.run([sys.executable, "-c", "from rig.cli import main; main()", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, f"rig run {index + 1} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return results, json.loads((results / "run.json").read_text())


def run_nightly(folder: Path, store: Path) -> list[dict]:
    """The three runs in order, each checked against what it must give; their run.json documents."""
    records = []
    for index, run in enumerate(NIGHTLY):
        _, record = rig_run(folder, store, index, run)
        verdicts = {t["nodeid"]: t["verdict"] for t in record["tests"]}
        assert verdicts == EXPECTED[index], (index + 1, verdicts, [t["reason"] for t in record["tests"]])
        assert record["versions"]["firmware"]["esme"] == run.firmware, record["versions"]
        records.append(record)
    return records
