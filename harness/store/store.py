"""Opening a results store by path or URL, and recording runs into it.

`Store.record` is the one write path (live runs, `rig results import`, pushes): it upserts the run and its
roles and appends the test cases it does not hold yet, all in one transaction, so recording after each test
keeps every finished verdict of a run killed mid-way, and recording the same run twice stores it once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import sqlalchemy as sa

from harness.store.record import RunData, TestRow
from harness.store.schema import flips, migrate, run_roles, runs, series, test_scenarios, tests

DEFAULT_STORE = Path("results") / "rig.db"
JUDGED = ("PASS", "FAIL")  # the verdicts a DUT earns; ERROR and SKIP say nothing about the device


def engine_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a store: a file path (SQLite), or a ``sqlite://`` / ``postgresql://`` URL."""
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # the dashboard reads while a run writes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@dataclass(frozen=True)
class Recorded:
    """What `Store.record` did: the run's key, whether the run was new, and how many tests it added."""

    run: int
    created: bool
    added: int


class Store:
    """A results store at `target` (path or URL), migrated to the current schema on open."""

    def __init__(self, target: str | Path = DEFAULT_STORE):
        self.url = engine_url(target)
        self.engine = sa.create_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            migrate(self.engine)
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------------
    def record(self, run: RunData, folder: str | None = None, exit_status: int | None = None) -> Recorded:
        """Store `run` (see the module docstring); `folder` is where its evidence lives on this machine."""
        header = {"started": run.started, "finished": run.finished, "interrupted": run.interrupted,
                  "bench": run.bench, "bench_json": json.dumps(run.bench_json, sort_keys=True),
                  "versions_json": json.dumps(run.versions, sort_keys=True),
                  "rig_version": str(run.versions.get("rig")) if run.versions.get("rig") else None}
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(runs.c.id, runs.c.folder, runs.c.host)
                               .where(runs.c.run_id == run.run_id)).first()
            created = row is None
            if created:
                pk = conn.execute(sa.insert(runs).values(run_id=run.run_id, folder=folder, host=run.host,
                                                         exit_status=exit_status, **header)).inserted_primary_key[0]
            else:
                pk = row.id
                extra = {"folder": row.folder or folder, "host": row.host or run.host}
                if exit_status is not None:
                    extra["exit_status"] = exit_status
                conn.execute(sa.update(runs).where(runs.c.id == pk).values(**header, **extra))
            conn.execute(sa.delete(run_roles).where(run_roles.c.run == pk))
            if run.roles:
                conn.execute(sa.insert(run_roles), [dict(vars(r), run=pk) for r in run.roles])
            stored = conn.execute(sa.select(sa.func.count()).select_from(tests).where(tests.c.run == pk)).scalar()
            new = run.tests[stored:]
            if new:
                self._add_tests(conn, pk, run, stored, new)
            counts = dict(conn.execute(sa.select(tests.c.verdict, sa.func.count()).where(tests.c.run == pk)
                                       .group_by(tests.c.verdict)).all())
            conn.execute(sa.update(runs).where(runs.c.id == pk).values(
                n_pass=counts.get("PASS", 0), n_fail=counts.get("FAIL", 0), n_error=counts.get("ERROR", 0),
                n_skip=counts.get("SKIP", 0)))
        return Recorded(run=pk, created=created, added=len(new))

    def _add_tests(self, conn: sa.Connection, pk: int, run: RunData, first: int, new: Iterable[TestRow]) -> None:
        """Insert `new` tests (numbered from `first`), their scenarios, and move their series on."""
        new = list(new)
        last = {(s.nodeid, s.dut_model, s.dut_firmware): (s.last_started, s.last_verdict) for s in conn.execute(
            sa.select(series).where(series.c.bench == run.bench,
                                    series.c.dut_model.in_(sorted({t.dut_model for t in new})),
                                    series.c.dut_firmware.in_(sorted({t.dut_firmware for t in new})),
                                    series.c.nodeid.in_(sorted({t.nodeid for t in new}))))}
        existing, touched = set(last), {}
        rows, scenario_rows = [], []
        for seq, test in enumerate(new, start=first):
            flipped = None
            key = (test.nodeid, test.dut_model, test.dut_firmware)
            previous = last.get(key)
            # an older run imported late joins the history but does not move its series
            if test.verdict in JUDGED and (previous is None or previous[0] <= run.started):
                flipped = None if previous is None else previous[1] != test.verdict
                last[key] = touched[key] = (run.started, test.verdict)
            rows.append({"run": pk, "seq": seq, "nodeid": test.nodeid, "verdict": test.verdict,
                         "reason": test.reason, "clause": test.clause, "duration": test.duration,
                         "evidence_json": json.dumps(list(test.evidence)),
                         "scenarios": ",".join(map(str, test.scenarios)), "started": run.started,
                         "bench": run.bench, "dut_role": test.dut_role, "dut_model": test.dut_model,
                         "dut_firmware": test.dut_firmware, "flipped": flipped})
            scenario_rows += [{"run": pk, "seq": seq, "scenario": s} for s in sorted(set(test.scenarios))]
        conn.execute(sa.insert(tests), rows)
        flipped = [{k: r[k] for k in ("run", "seq", "nodeid", "bench", "dut_model", "dut_firmware", "started")}
                   for r in rows if r["flipped"]]
        if flipped:
            conn.execute(sa.insert(flips), flipped)
        if scenario_rows:
            conn.execute(sa.insert(test_scenarios), scenario_rows)
        values = [{"b_nodeid": k[0], "b_model": k[1], "b_fw": k[2], "last_started": started,
                   "last_verdict": verdict, "last_run": pk} for k, (started, verdict) in touched.items()]
        fresh = [v for v, k in zip(values, touched) if k not in existing]
        if fresh:
            conn.execute(sa.insert(series), [{"nodeid": v["b_nodeid"], "bench": run.bench, "dut_model": v["b_model"],
                                              "dut_firmware": v["b_fw"], "last_started": v["last_started"],
                                              "last_verdict": v["last_verdict"], "last_run": pk} for v in fresh])
        moved = [v for v, k in zip(values, touched) if k in existing]
        if moved:
            conn.execute(sa.update(series).where(
                series.c.nodeid == sa.bindparam("b_nodeid"), series.c.bench == run.bench,
                series.c.dut_model == sa.bindparam("b_model"), series.c.dut_firmware == sa.bindparam("b_fw"))
                .values(last_started=sa.bindparam("last_started"), last_verdict=sa.bindparam("last_verdict"),
                        last_run=sa.bindparam("last_run")), moved)
