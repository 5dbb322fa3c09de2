"""The results store's one schema (SQLAlchemy Core) and its migrations.

`runs` holds a run (with its verdict counts kept up to date), `run_roles` each bench role (board, radio and
its version, firmware; or the device under test's identity), `tests` each test case, `test_scenarios` the scenario ids a test
cites, `series` the last PASS/FAIL of each test per bench, DUT model and DUT firmware (what the matrix reads) and
`flips` each PASS/FAIL that differs from the one before it in its series (what the flake label reads).
`store_meta` keeps the schema version; `migrate` brings any older store up to date.
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

SCHEMA_VERSION = 2

metadata = sa.MetaData()

store_meta = sa.Table(
    "store_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False, unique=True),
    sa.Column("started", sa.String(32), nullable=False, index=True),  # ISO 8601 UTC with Z: sorts as text
    sa.Column("finished", sa.String(32)),
    sa.Column("interrupted", sa.Text),
    sa.Column("exit_status", sa.Integer),
    sa.Column("bench", sa.String(128), nullable=False, index=True),
    sa.Column("bench_json", sa.Text, nullable=False),
    sa.Column("versions_json", sa.Text, nullable=False),
    sa.Column("rig_version", sa.String(64)),
    sa.Column("host", sa.String(128)),
    sa.Column("folder", sa.Text),  # where the run's evidence lives on this store's machine
    sa.Column("n_pass", sa.Integer, nullable=False, default=0),
    sa.Column("n_fail", sa.Integer, nullable=False, default=0),
    sa.Column("n_error", sa.Integer, nullable=False, default=0),
    sa.Column("n_skip", sa.Integer, nullable=False, default=0),
)

run_roles = sa.Table(
    "run_roles", metadata,
    sa.Column("run", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # "emulator" or "dut"
    sa.Column("board", sa.String(256)),
    sa.Column("radio", sa.String(32)),
    sa.Column("radio_port", sa.String(256)),
    sa.Column("firmware", sa.String(64)),
    sa.Column("manufacturer", sa.String(128)),
    sa.Column("model", sa.String(128)),
    sa.Column("eui64", sa.String(32)),
    sa.Column("radio_version", sa.String(256)),  # an NCP's EZSP and stack versions, or "simulated radio medium"
    sa.Index("ix_run_roles_model_firmware", "model", "firmware"),
)

tests = sa.Table(
    "tests", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("nodeid", sa.String(512), nullable=False),
    sa.Column("verdict", sa.String(8), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("clause", sa.Text),
    sa.Column("duration", sa.Float, nullable=False, default=0.0),
    sa.Column("evidence_json", sa.Text, nullable=False, default="[]"),
    sa.Column("scenarios", sa.Text, nullable=False, default=""),
    # copied from the run for the history, matrix and flake queries (one index each, no join)
    sa.Column("started", sa.String(32), nullable=False),
    sa.Column("bench", sa.String(128), nullable=False),
    sa.Column("dut_role", sa.String(32), nullable=False, default=""),
    sa.Column("dut_model", sa.String(128), nullable=False, default=""),
    sa.Column("dut_firmware", sa.String(64), nullable=False, default=""),
    # True when this PASS/FAIL differs from the previous PASS/FAIL of its series (same bench, DUT model, firmware)
    sa.Column("flipped", sa.Boolean),
    sa.UniqueConstraint("run", "seq", name="uq_tests_run_seq"),
    # covers a series' strip and flips (history page) without reading the table
    sa.Index("ix_tests_series", "nodeid", "bench", "dut_model", "dut_firmware", "started", "verdict", "flipped",
             "run"),
    sa.Index("ix_tests_started_verdict", "started", "verdict"),
)

test_scenarios = sa.Table(
    "test_scenarios", metadata,
    sa.Column("run", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("scenario", sa.Integer, primary_key=True, index=True),
)

series = sa.Table(
    "series", metadata,
    sa.Column("nodeid", sa.String(512), primary_key=True),
    sa.Column("bench", sa.String(128), primary_key=True),
    sa.Column("dut_model", sa.String(128), primary_key=True),
    sa.Column("dut_firmware", sa.String(64), primary_key=True),
    sa.Column("last_started", sa.String(32), nullable=False),
    sa.Column("last_verdict", sa.String(8), nullable=False),
    sa.Column("last_run", sa.Integer, nullable=False),
)

flips = sa.Table(  # one row per flipped test result: the flake labels read this, not the million-row tests table
    "flips", metadata,
    sa.Column("run", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("nodeid", sa.String(512), nullable=False),
    sa.Column("bench", sa.String(128), nullable=False),
    sa.Column("dut_model", sa.String(128), nullable=False),
    sa.Column("dut_firmware", sa.String(64), nullable=False),
    sa.Column("started", sa.String(32), nullable=False, index=True),
)

# Column sizes above are the limits `harness.store.record` checks untrusted run records against.
Migration = Callable[[sa.Connection], None]


def _v1(conn: sa.Connection) -> None:
    metadata.create_all(conn)


def _v2(conn: sa.Connection) -> None:
    """Each role's radio version (a store made at version 1 lacks the column; one made since has it)."""
    if "radio_version" not in {c["name"] for c in sa.inspect(conn).get_columns("run_roles")}:
        conn.execute(sa.text("ALTER TABLE run_roles ADD COLUMN radio_version VARCHAR(256)"))


# MIGRATIONS[n] takes a store at version n to n + 1; append, never edit. `_v1` creates the current tables, so a
# later step checks before it adds what `_v1` now makes itself.
MIGRATIONS: list[Migration] = [_v1, _v2]
assert len(MIGRATIONS) == SCHEMA_VERSION


def schema_version(conn: sa.Connection) -> int:
    """The version of the store behind `conn` (0 for an empty database)."""
    if not sa.inspect(conn).has_table("store_meta"):
        return 0
    value = conn.execute(sa.select(store_meta.c.value).where(store_meta.c.key == "schema_version")).scalar()
    return int(value or 0)


def migrate(engine: sa.Engine) -> int:
    """Bring the store up to `SCHEMA_VERSION` (each step in its own transaction); returns the version."""
    with engine.begin() as conn:
        version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"results store has schema version {version}, newer than this rig's {SCHEMA_VERSION}")
    while version < SCHEMA_VERSION:
        with engine.begin() as conn:
            MIGRATIONS[version](conn)
            version += 1
            row = {"key": "schema_version", "value": str(version)}
            if conn.execute(sa.update(store_meta).where(store_meta.c.key == "schema_version")
                            .values(value=row["value"])).rowcount == 0:
                conn.execute(sa.insert(store_meta).values(**row))
    return version
