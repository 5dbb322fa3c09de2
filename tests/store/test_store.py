"""The results store on SQLite and on a real PostgreSQL server: recording, idempotence, per-test atomicity,
untrusted run records, and what the dashboard reads (matrix, flakes, bench health, coverage)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.errors import InputError
from harness.store import queries as q
from harness.store.record import load_run_json, parse_run
from harness.store.runfolder import read_run
from harness.store.schema import SCHEMA_VERSION, runs, schema_version, tests
from harness.store.store import Store
from nightly_runs import nodeid, write_sequence


@pytest.fixture
def nightly(tmp_path: Path, store: Store) -> list[Path]:
    folders = write_sequence(tmp_path / "runs")
    for folder in folders:
        store.record(read_run(folder), str(folder))
    return folders


def test_store_migrates_and_records_once(store: Store, tmp_path: Path) -> None:
    (folder,) = write_sequence(tmp_path / "runs")[:1]
    run = read_run(folder)
    first = store.record(run, str(folder), exit_status=1)
    again = store.record(run, str(folder))
    assert (first.created, first.added) == (True, 5)
    assert (again.created, again.added) == (False, 0)
    with store.engine.connect() as conn:
        assert schema_version(conn) == SCHEMA_VERSION
        row = conn.execute(sa.select(runs).where(runs.c.run_id == run.run_id)).one()
        assert (row.n_pass, row.n_fail, row.exit_status) == (4, 1, 1)
        assert conn.execute(sa.select(sa.func.count()).select_from(tests)).scalar() == 5
    with Store(store.url) as reopened, reopened.engine.connect() as conn:  # a second open does not migrate again
        assert schema_version(conn) == SCHEMA_VERSION


def test_recording_after_each_test_keeps_finished_verdicts(store: Store, tmp_path: Path) -> None:
    (folder,) = write_sequence(tmp_path / "runs")[:1]
    record = json.loads((folder / "run.json").read_text())
    record["finished"], tests_done = None, record["tests"]
    for count in range(1, 3):  # what a run killed after its second test left behind
        store.record(parse_run(dict(record, tests=tests_done[:count])))
    with store.engine.connect() as conn:
        run = q.run_detail(conn, record["run_id"])
    assert [t["test"].verdict for t in run["tests"]] == ["PASS", "PASS"]
    assert run["run"].finished is None
    store.record(parse_run(json.loads((folder / "run.json").read_text())))
    with store.engine.connect() as conn:
        run = q.run_detail(conn, record["run_id"])
    assert len(run["tests"]) == 5 and run["run"].finished


@pytest.mark.parametrize("text, field", [
    (b"\xff", "run.json"),
    (b"[]", "run.json"),
    (b'{"run_id": "../x", "bench": {}, "started": "2026-11-29T06:00:00Z"}', "run.run_id"),
    (b'{"run_id": "r", "bench": {}, "started": "2026-11-29T06:00:00Z", "tests": [{"nodeid": "a", "verdict": "MAYBE"}]}',
     "tests[0].verdict"),
    (b'{"run_id": "r", "bench": {}, "started": "2026-11-29T06:00:00Z", "tests": [{"nodeid": "a", "verdict": "PASS", '
     b'"scenarios": ["13"]}]}', "tests[0].scenarios"),
    (b'{"run_id": "r", "bench": {"roles": []}, "started": "2026-11-29T06:00:00Z"}', "bench.roles"),
    (b'{"run_id": "r", "bench": {}, "started": "yesterday"}', "run.started"),
    (b'{"run_id": "r", "bench": {}, "started": "2026-11-29T06:00:00Z", "tests": [{"nodeid": "' + b"a" * 600
     + b'", "verdict": "PASS"}]}', "tests[0].nodeid"),
    (b'{"run_id": "r", "bench": {"roles": {"esme": {"kind": "dut", "model": "' + b"m" * 200 + b'"}}}, '
     b'"started": "2026-11-29T06:00:00Z"}', "bench.roles.esme.model"),
    (b'{"run_id": "r", "bench": {}, "versions": {"radios": ["ezsp"]}, "started": "2026-11-29T06:00:00Z"}',
     "versions.radios"),
])
def test_malformed_run_records_are_typed_errors(text: bytes, field: str) -> None:
    with pytest.raises(InputError) as err:
        load_run_json(text)
    assert field in str(err.value)


def test_matrix_labels_regression_fix_and_flake(store: Store, nightly: list[Path]) -> None:
    with store.engine.connect() as conn:
        data = q.matrix(conn)
    assert data["columns"] == [("emulated esme", "1.0"), ("emulated esme", "1.1")]
    assert data["bases"] == {"emulated esme": "1.0"}
    cells = {row.nodeid.rsplit("::", 1)[1]: row.cells[1] for row in data["rows"]}
    assert cells["test_topup_replay"].label == "new failure"
    assert cells["test_join_timing"].label == "fixed"
    assert cells["test_join"].label == "passing"
    assert cells["test_alert_order"].flaky and cells["test_alert_order"].label == "passing"
    assert not any(c.flaky for name, c in cells.items() if name != "test_alert_order")
    with store.engine.connect() as conn:  # another basis: 1.0 compared with 1.1
        rows = {row.nodeid.rsplit("::", 1)[1]: row.cells for row in q.matrix(conn, basis="1.1")["rows"]}
    assert [c.label for c in rows["test_topup_replay"]] == ["fixed", "basis"]
    assert [c.label for c in rows["test_join_timing"]] == ["new failure", "basis"]


def test_history_shows_flip_rates(store: Store, nightly: list[Path]) -> None:
    with store.engine.connect() as conn:
        (old, new) = q.history(conn, nodeid("test_alert_order"))
    assert (old.firmware, new.firmware) == ("1.0", "1.1")
    assert [c[2] for c in new.cells] == ["PASS", "FAIL"]  # newest first
    assert new.flaky and not old.flaky
    assert new.rates == {7: (1, 1), 30: (1, 1)}  # one flip in one consecutive pair


def test_bench_health_is_apart_from_dut_results(store: Store, nightly: list[Path]) -> None:
    with store.engine.connect() as conn:
        data = q.health(conn)
    (bench,) = data["benches"]
    assert (bench["bench"], bench["tests"], bench["errors"], bench["unhealthy"]) == ("nightly", 15, 2, True)
    boards = {b["role"]: b for b in data["boards"]}
    assert boards["esme"]["errors"] == 2 and boards["esme"]["unhealthy"]
    assert boards["chf"]["errors"] == 0 and not boards["chf"]["unhealthy"]


def test_coverage_of_scenarios(store: Store, nightly: list[Path]) -> None:
    scenarios = [{"id": i, "text": f"scenario {i}"} for i in (13, 14, 15, 70, 99)]
    with store.engine.connect() as conn:
        data = q.coverage(conn, scenarios)
    rows = {r["id"]: r for r in data["rows"]}
    assert rows[13]["passed_on"] == [("emulated esme", "1.0"), ("emulated esme", "1.1")]
    assert rows[70]["passed_on"] == [("emulated esme", "1.0")]
    assert not rows[99]["tested"] and not rows[99]["passed_on"]
    assert (data["demonstrated"], data["untested"]) == (4, 1)


def test_a_store_from_a_newer_rig_is_refused(store: Store) -> None:
    from harness.store.schema import store_meta

    with store.engine.begin() as conn:
        conn.execute(sa.update(store_meta).values(value=str(SCHEMA_VERSION + 1)))
    with pytest.raises(RuntimeError, match="newer than this rig's"):
        Store(store.url)


def test_a_version_1_store_is_migrated(store: Store) -> None:
    """A store made before radio versions were kept gains the column, and records into it."""
    from harness.store.schema import store_meta

    with store.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE run_roles DROP COLUMN radio_version"))
        conn.execute(sa.update(store_meta).values(value="1"))
    store.close()
    with Store(store.url) as migrated:
        with migrated.engine.connect() as conn:
            assert schema_version(conn) == SCHEMA_VERSION
        migrated.record(parse_run(DUT_RUN))
        with migrated.engine.connect() as conn:
            roles = {r.role: r for r in q.run_detail(conn, "dut-run")["roles"]}
    assert roles["chf"].radio_version == "EZSP v13, stack 7.4.1.0 build 0"


DUT_RUN = {"run_id": "dut-run", "started": "2026-11-29T06:00:00Z",
           "bench": {"name": "lab", "roles": {
               "chf": {"kind": "emulator", "board": "/dev/ttyACM0", "radio": "ezsp", "radio_port": "/dev/ttyUSB0"},
               "esme": {"kind": "dut", "eui64": "000D6F000ABCDEF0", "via": "chf", "manufacturer": "Acme Meters",
                        "model": "ESME-3", "firmware": "2.1.0"}}},
           "versions": {"firmware": {"chf": "0.1.0"}, "radios": {"chf": "EZSP v13, stack 7.4.1.0 build 0"}},
           "tests": [{"nodeid": "tests/conformance/test_x.py::test_join", "verdict": "PASS", "dut": ["esme"]}]}


def test_a_real_duts_identity_and_the_radios_versions_are_recorded(store: Store) -> None:
    store.record(parse_run(DUT_RUN))
    with store.engine.connect() as conn:
        run = q.run_detail(conn, "dut-run")
        matrix = q.matrix(conn)
    (dut,) = run["duts"]
    assert (dut.role, dut.manufacturer, dut.model, dut.firmware) == ("esme", "Acme Meters", "ESME-3", "2.1.0")
    assert {r.role: r.radio_version for r in run["roles"]} == {"chf": "EZSP v13, stack 7.4.1.0 build 0",
                                                              "esme": None}
    assert (run["tests"][0]["test"].dut_model, run["tests"][0]["test"].dut_firmware) == ("ESME-3", "2.1.0")
    assert matrix["columns"] == [("ESME-3", "2.1.0")]


@pytest.mark.parametrize("reason, role, board, expected", [
    ("BoardLost: board esme is not running", "esme", "sim", True),
    ("BoardLost: board esme is not running", "chf", "sim", False),
    ("BoardLost: board link to /dev/ttyACM1 closed", "gsme", "/dev/ttyACM1", True),
    ("BoardLost: board link to /dev/ttyACM1 closed", "esme", "/dev/ttyACM0", False),
    ("RigTimeout: no answer from the simulator", "chf", "sim", False),
])
def test_an_error_is_put_down_to_the_board_it_names(reason: str, role: str, board: str, expected: bool) -> None:
    assert q.mentions(reason, role, board) is expected
