"""Roles are declared per parametrised case: on usb-two-boards.toml's topology (CHF and ESME, here on sim boards and
the sim radio) every conformance case whose own roles are on the bench runs, e.g. `test_full_join[esme]`."""
from __future__ import annotations

import dataclasses

from harness.plugin.markers import marker_args, not_applicable
from harness.shared import PROJECT_ROOT
from rig.bench.benchfile import load_bench
from rig.bench.model import SIM, Emulator, Radio

SUITE = PROJECT_ROOT / "tests" / "conformance"
TWO_BOARDS = PROJECT_ROOT / "hardware" / "benches" / "usb-two-boards.toml"


def two_boards_on_sim():
    bench = load_bench(TWO_BOARDS, check_files=False)
    roles = {name: dataclasses.replace(role, board=SIM, radio=Radio(kind=SIM))
             for name, role in bench.roles.items() if isinstance(role, Emulator)}
    return dataclasses.replace(bench, roles=roles)


def test_two_board_topology_runs_every_case_its_roles_allow(pytester):
    bench = two_boards_on_sim()
    items, _ = pytester.inline_genitems(str(SUITE), "-p", "harness.pytest_plugin", "-o", f"conformance_paths={SUITE}")
    runs = {item.nodeid.split("::", 1)[1]: not_applicable(bench, marker_args(item, "roles"),
                                                          marker_args(item, "dut")) is None for item in items}
    assert set(bench.roles) == {"chf", "esme"}
    for name, runnable in runs.items():
        roles = set(marker_args(next(i for i in items if i.nodeid.endswith("::" + name)), "roles"))
        assert runnable == (roles <= {"chf", "esme"}), name
    # the ESME case of a test parametrised by meter runs; its GSME case, needing a board the bench lacks, does not
    assert runs["test_full_join[esme]"] and not runs["test_full_join[gsme]"]
    assert runs["test_keypad_utrn_adds_credit[esme]"] and not runs["test_keypad_utrn_adds_credit[gsme]"]
