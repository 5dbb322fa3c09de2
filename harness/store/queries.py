"""What the dashboard reads from a store: runs, one run, a test's history, the firmware matrix, bench health
and scenario coverage. Each function takes a connection and returns plain data for a template."""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa

from harness.store.schema import flips, run_roles, runs, series, test_scenarios, tests

PAGE = 50
STRIP = 30
FLAKE_WINDOWS = (7, 30)  # days over which a test's flip rate is shown
UNHEALTHY = 0.10         # a bench or board whose ERROR rate is above this is unhealthy
HEALTH_DAYS = 30


def since(days: int, now: dt.datetime | None = None) -> str:
    """The ISO 8601 UTC time `days` ago, in the form runs are stored in (sorts as text)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return (now - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- runs list ---------------------------------------------------------------------------------------------
@dataclass
class RunFilters:
    bench: str = ""
    model: str = ""
    firmware: str = ""
    verdict: str = ""
    date_from: str = ""  # YYYY-MM-DD
    date_to: str = ""
    page: int = 1


VERDICT_COLUMNS = {"PASS": runs.c.n_pass, "FAIL": runs.c.n_fail, "ERROR": runs.c.n_error, "SKIP": runs.c.n_skip}


def list_runs(conn: sa.Connection, f: RunFilters) -> dict[str, Any]:
    """One page of runs (newest first) matching the filters, with each run's devices under test."""
    where = []
    if f.bench:
        where.append(runs.c.bench == f.bench)
    if f.model or f.firmware:
        cond = ([run_roles.c.model == f.model] if f.model else []) + (
            [run_roles.c.firmware == f.firmware] if f.firmware else [])
        where.append(runs.c.id.in_(sa.select(run_roles.c.run).where(*cond)))
    if f.verdict in VERDICT_COLUMNS:
        where.append(VERDICT_COLUMNS[f.verdict] > 0)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.date_from):
        where.append(runs.c.started >= f.date_from)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.date_to):
        where.append(runs.c.started < f.date_to + "T99")  # every time of that day sorts below "T99"
    total = conn.execute(sa.select(sa.func.count()).select_from(runs).where(*where)).scalar()
    page = max(1, f.page)
    rows = conn.execute(sa.select(runs).where(*where).order_by(runs.c.started.desc(), runs.c.id.desc())
                        .limit(PAGE).offset((page - 1) * PAGE)).all()
    duts: dict[int, list] = {}
    if rows:
        for r in conn.execute(sa.select(run_roles).where(run_roles.c.run.in_([r.id for r in rows]))
                              .order_by(run_roles.c.role)):
            duts.setdefault(r.run, []).append(r)
    return {"runs": [{"run": r, "duts": [d for d in duts.get(r.id, []) if d.kind == "dut"],
                      "firmware": sorted({d.firmware for d in duts.get(r.id, []) if d.firmware})} for r in rows],
            "total": total, "page": page, "pages": max(1, -(-total // PAGE)), "choices": filter_choices(conn)}


def filter_choices(conn: sa.Connection) -> dict[str, list[str]]:
    """Values offered in the runs-list filters: benches, device models and firmware versions."""
    return {"bench": list(conn.execute(sa.select(runs.c.bench).distinct().order_by(runs.c.bench)).scalars()),
            "model": list(conn.execute(sa.select(series.c.dut_model).distinct().order_by(series.c.dut_model))
                          .scalars()),
            "firmware": list(conn.execute(sa.select(series.c.dut_firmware).distinct()
                                          .order_by(series.c.dut_firmware)).scalars())}


# -- flakes -----------------------------------------------------------------------------------------------
def flaky_series(conn: sa.Connection, nodeids: list[str] | None = None, days: int = FLAKE_WINDOWS[-1],
                 now: dt.datetime | None = None) -> set[tuple[str, str, str, str]]:
    """(nodeid, bench, DUT model, DUT firmware) of each series whose verdict flipped in the last `days`."""
    q = sa.select(flips.c.nodeid, flips.c.bench, flips.c.dut_model, flips.c.dut_firmware).distinct().where(
        flips.c.started >= since(days, now))
    if nodeids is not None:
        q = q.where(flips.c.nodeid.in_(nodeids))
    return {tuple(r) for r in conn.execute(q)}


# -- one run ------------------------------------------------------------------------------------------------
def run_detail(conn: sa.Connection, run_id: str) -> dict[str, Any] | None:
    """A run, its roles and every test (with its evidence and whether its series is flaky)."""
    run = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).first()
    if run is None:
        return None
    roles = conn.execute(sa.select(run_roles).where(run_roles.c.run == run.id).order_by(run_roles.c.role)).all()
    rows = conn.execute(sa.select(tests).where(tests.c.run == run.id).order_by(tests.c.seq)).all()
    flaky = flaky_series(conn, sorted({t.nodeid for t in rows}))
    dut_roles = {t.dut_role for t in rows}
    return {"run": run, "roles": roles, "duts": [r for r in roles if r.role in dut_roles],
            "bench": json.loads(run.bench_json),
            "versions": json.loads(run.versions_json),
            "tests": [{"test": t, "evidence": json.loads(t.evidence_json),
                       "flaky": (t.nodeid, t.bench, t.dut_model, t.dut_firmware) in flaky} for t in rows]}


def evidence_paths(conn: sa.Connection, run_id: str) -> tuple[str | None, set[str]]:
    """The run's evidence folder on this machine and the evidence paths its tests list."""
    run = conn.execute(sa.select(runs.c.id, runs.c.folder).where(runs.c.run_id == run_id)).first()
    if run is None:
        return None, set()
    listed = set()
    for text in conn.execute(sa.select(tests.c.evidence_json).where(tests.c.run == run.id)).scalars():
        listed.update(json.loads(text))
    return run.folder, listed


# -- a test's history ---------------------------------------------------------------------------------------
@dataclass
class Series:
    bench: str
    model: str
    firmware: str
    cells: list = field(default_factory=list)  # newest first: (run_id, started, verdict)
    rates: dict = field(default_factory=dict)   # days -> (flips, consecutive PASS/FAIL pairs)

    @property
    def flaky(self) -> bool:
        return self.rates.get(FLAKE_WINDOWS[-1], (0, 0))[0] > 0


SERIES_KEY = (tests.c.bench, tests.c.dut_model, tests.c.dut_firmware)


def _strips(nodeid: str, last: int) -> sa.Select:
    """The newest `last` results of each series of `nodeid`, in one statement that only seeks the series index:
    its series; per series the start time of its `last`-th newest result (one seek); per series the results from
    that time on (a range). So the page costs what it shows, not the test's whole history."""
    keys = sa.select(*SERIES_KEY).where(tests.c.nodeid == nodeid).distinct().subquery("keys")
    older = tests.alias("older")
    nth = (sa.select(older.c.started).where(older.c.nodeid == nodeid, older.c.bench == keys.c.bench,
                                            older.c.dut_model == keys.c.dut_model,
                                            older.c.dut_firmware == keys.c.dut_firmware)
           .order_by(older.c.started.desc()).limit(1).offset(last - 1).scalar_subquery())
    # materialized: each series' bound is computed once, never re-evaluated per result row (PostgreSQL would)
    bounds = sa.select(keys, sa.func.coalesce(nth, "").label("since")).cte("bounds").prefix_with("MATERIALIZED")
    return (sa.select(*SERIES_KEY, tests.c.started, tests.c.verdict, runs.c.run_id)
            .select_from(bounds.join(tests, sa.and_(tests.c.nodeid == nodeid, tests.c.bench == bounds.c.bench,
                                                    tests.c.dut_model == bounds.c.dut_model,
                                                    tests.c.dut_firmware == bounds.c.dut_firmware,
                                                    tests.c.started >= bounds.c.since))
                         .join(runs, runs.c.id == tests.c.run))
            .order_by(*SERIES_KEY, tests.c.started.desc()))


def history(conn: sa.Connection, nodeid: str, last: int = STRIP, now: dt.datetime | None = None) -> list[Series]:
    """The last `last` results of `nodeid` per bench, DUT model and firmware (see `_strips`), with flip rates (one
    pass over the test's entries in the series index)."""
    found: dict[tuple, Series] = {}
    for bench, model, firmware, started, verdict, run_id in conn.execute(_strips(nodeid, last)).all():
        cells = found.setdefault((bench, model, firmware), Series(bench, model, firmware)).cells
        if len(cells) < last:  # results started at the same moment as the last one shown
            cells.append((run_id, started, verdict))
    cutoffs = {days: since(days, now) for days in FLAKE_WINDOWS}
    counts = [sa.func.sum(sa.case((sa.and_(tests.c.started >= cutoff, tests.c.flipped.is_(flag)), 1), else_=0))
              for cutoff in cutoffs.values() for flag in (True, False)]
    for bench, model, firmware, *sums in conn.execute(sa.select(*SERIES_KEY, *counts).where(
            tests.c.nodeid == nodeid, tests.c.started >= min(cutoffs.values())).group_by(*SERIES_KEY)):
        if (bench, model, firmware) in found:
            found[(bench, model, firmware)].rates = {
                days: (int(sums[2 * i] or 0), int((sums[2 * i] or 0) + (sums[2 * i + 1] or 0)))
                for i, days in enumerate(cutoffs)}
    return list(found.values())


# -- matrix -------------------------------------------------------------------------------------------------
LABELS = {("PASS", "FAIL"): "new failure", ("FAIL", "FAIL"): "still failing", ("FAIL", "PASS"): "fixed",
          ("PASS", "PASS"): "passing"}


def compare(basis: str | None, current: str | None) -> str:
    """A cell's label from the basis firmware's verdict and this firmware's (PASS/FAIL, or None if none)."""
    if current is None:
        return "no result"
    if basis is None:
        return "no basis"
    return LABELS[(basis, current)]


class Cell(NamedTuple):
    """One matrix cell (attributes, not dict keys: a template reads a thousand of them per page)."""

    verdict: str | None
    label: str
    flaky: bool
    model: str
    firmware: str


class MatrixRow(NamedTuple):
    nodeid: str
    cells: list[Cell]


def matrix(conn: sa.Connection, basis: str = "", model: str = "") -> dict[str, Any]:
    """Test cases against DUT model x firmware: each cell the latest PASS/FAIL (any bench), labelled against the
    same model's `basis` firmware (default: per model, the firmware seen before its newest)."""
    q = sa.select(series.c.nodeid, series.c.dut_model, series.c.dut_firmware, series.c.last_verdict,
                  series.c.last_started)
    if model:
        q = q.where(series.c.dut_model == model)
    latest: dict[tuple, tuple[str, str]] = {}
    seen: dict[tuple[str, str], str] = {}
    for nodeid, m, fw, verdict, started in conn.execute(q.order_by(series.c.last_started)).all():  # oldest first:
        latest[(nodeid, m, fw)] = (verdict, started)  # a later bench's result replaces an earlier one's
        seen[(m, fw)] = started
    columns = sorted(seen, key=lambda c: (c[0], seen[c]))
    bases: dict[str, str | None] = {}
    for m in sorted({c[0] for c in columns}):
        fws = [c[1] for c in columns if c[0] == m]
        bases[m] = basis if basis in fws else (None if basis else (fws[-2] if len(fws) > 1 else None))
    flaky = {(n, m, fw) for n, _, m, fw in flaky_series(conn)}
    rows = []
    for nodeid in sorted({k[0] for k in latest}):
        cells = []
        for m, fw in columns:
            current = latest.get((nodeid, m, fw), (None,))[0]
            ref = bases[m]
            if fw == ref:
                label = "basis" if current else "no result"
            else:
                label = compare(latest.get((nodeid, m, ref), (None,))[0] if ref else None, current)
            cells.append(Cell(current, label, (nodeid, m, fw) in flaky, m, fw))
        rows.append(MatrixRow(nodeid, cells))
    return {"columns": columns, "bases": bases, "rows": rows, "basis": basis, "model": model,
            "firmwares": sorted({c[1] for c in columns}), "models": sorted({c[0] for c in columns})}


# -- bench health -----------------------------------------------------------------------------------------
def mentions(reason: str, role: str, board: str | None) -> bool:
    """Whether an ERROR's reason names a board: how an ERROR is put down to a board, inferred from the reason
    text ("BoardLost: board esme is not running", "board link to /dev/ttyACM1 closed"); an ERROR naming no
    board counts for its bench only."""
    if re.search(rf"\b{re.escape(role)}\b", reason):
        return True
    return bool(board) and board != "sim" and board in reason


def health(conn: sa.Connection, days: int = HEALTH_DAYS, threshold: float = UNHEALTHY) -> dict[str, Any]:
    """ERROR rate per bench and per board over the last `days`; above `threshold` is unhealthy."""
    cutoff = since(days)
    window = conn.execute(sa.select(runs.c.id, runs.c.bench, runs.c.n_error,
                                    runs.c.n_pass + runs.c.n_fail + runs.c.n_error + runs.c.n_skip)
                          .where(runs.c.started >= cutoff)).all()
    bench_of = {run: bench for run, bench, _, _ in window}
    totals = {run: total for run, _, _, total in window}
    per_bench: dict[str, list[int]] = {}
    for _, bench, errors, total in window:
        counts = per_bench.setdefault(bench, [0, 0])
        counts[0] += total
        counts[1] += errors
    boards_of: dict[int, list[tuple[str, str | None]]] = {}
    per_board: dict[tuple, list[int]] = {}
    ids = sorted(bench_of)
    for start in range(0, len(ids), 1000):
        for run, role, board in conn.execute(sa.select(run_roles.c.run, run_roles.c.role, run_roles.c.board).where(
                run_roles.c.run.in_(ids[start:start + 1000]), run_roles.c.kind == "emulator")):
            boards_of.setdefault(run, []).append((role, board))
            per_board.setdefault((bench_of[run], role, board), [0, 0])[0] += totals[run]
    for run, reason in conn.execute(sa.select(tests.c.run, tests.c.reason).where(
            tests.c.started >= cutoff, tests.c.verdict == "ERROR")):
        for role, board in boards_of.get(run, ()):
            if mentions(reason, role, board):
                per_board[(bench_of[run], role, board)][1] += 1

    def rate(n: int, e: int) -> dict:
        return {"tests": n, "errors": e, "rate": e / n if n else 0.0, "unhealthy": n > 0 and e / n > threshold}

    benches = [dict(bench=b, **rate(*c)) for b, c in sorted(per_bench.items())]
    boards = [dict(bench=b, role=r, board=bd, **rate(*c))
              for (b, r, bd), c in sorted(per_board.items(), key=lambda kv: tuple(map(str, kv[0])))]
    return {"benches": benches, "boards": boards, "days": days, "threshold": threshold}


# -- scenario coverage ----------------------------------------------------------------------------------------
def coverage(conn: sa.Connection, scenarios: list[dict]) -> dict[str, Any]:
    """Per scenario of `scenarios` (id, text): the DUT models and firmware a PASS demonstrated it on, whether
    any stored test cites it at all."""
    passed: dict[int, set[tuple[str, str]]] = {}
    for sid, m, fw in conn.execute(
            sa.select(test_scenarios.c.scenario, tests.c.dut_model, tests.c.dut_firmware).distinct()
            .join(tests, sa.and_(tests.c.run == test_scenarios.c.run, tests.c.seq == test_scenarios.c.seq))
            .where(tests.c.verdict == "PASS")):
        passed.setdefault(sid, set()).add((m, fw))
    cited = set(conn.execute(sa.select(test_scenarios.c.scenario).distinct()).scalars())
    rows = [{"id": s["id"], "text": s.get("text", ""), "group": s.get("group", ""),
             "passed_on": sorted(passed.get(s["id"], ())), "tested": s["id"] in cited} for s in scenarios]
    return {"rows": rows, "demonstrated": sum(1 for r in rows if r["passed_on"]),
            "untested": sum(1 for r in rows if not r["tested"]), "total": len(rows)}
