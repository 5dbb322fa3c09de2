"""Fixtures of the results-store tests: a store on SQLite or on a throwaway PostgreSQL cluster, the nightly
sequence of run folders, and a dashboard server on a loopback port."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from harness.store.store import Store, engine_url
from rig.dashboard.app import Settings, create_app

PG_BINARIES = "/usr/lib/postgresql/*/bin"
PG_ABSENT = "PostgreSQL server binaries absent (apt-get install postgresql; .ci/run installs them)"


def _pg_bin() -> Path | None:
    found = sorted(glob.glob(PG_BINARIES), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                   else 0)
    return Path(found[-1]) if found and (Path(found[-1]) / "initdb").exists() else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A PostgreSQL cluster of its own on a Unix socket in a temporary folder (no TCP): its URL base."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(PG_ABSENT)
    base = Path(tempfile.mkdtemp(prefix="rig-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to own a throwaway cluster")
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    subprocess.run(run_as + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "rig", "--no-sync",
                             "-E", "UTF8"], check=True, capture_output=True, timeout=120)
    options = f"-k {base} -c listen_addresses='' -F -c fsync=off"
    subprocess.run(run_as + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-o", options, "-w",
                             "start"], check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://rig@/%s?host={base}"
    finally:
        subprocess.run(run_as + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


_databases = iter(range(1, 1_000_000))


def new_pg_database(postgres: str) -> str:
    """A fresh empty database in the throwaway cluster: its URL."""
    import sqlalchemy as sa

    name = f"rig{next(_databases)}"
    engine = sa.create_engine(engine_url(postgres % "postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return postgres % name


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: a SQLite file, or a database on the throwaway PostgreSQL cluster."""
    if request.param == "sqlite":
        return str(tmp_path / "rig.db")
    return new_pg_database(request.getfixturevalue("postgres"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url) as s:
        yield s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`rig results serve`'s app under uvicorn in a thread, on a loopback port."""

    def __init__(self, settings: Settings):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("dashboard server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def serve(tmp_path: Path):
    """Call ``serve(store, token=...)`` to get a running dashboard (stopped after the test)."""
    servers: list[LiveServer] = []

    def start(store: Store, **options) -> LiveServer:
        server = LiveServer(Settings(store=store, evidence_dir=tmp_path / "pushed", **options)).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()
