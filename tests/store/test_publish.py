"""Publishing from CI: a push needs the server's bearer token (401 and nothing stored without it), is
idempotent, and reads can be made to need the token too."""
from __future__ import annotations

import io
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.store.schema import runs
from harness.store.store import Store
from nightly_runs import write_sequence
from rig.publish import PublishError, push

TOKEN = "nightly-ci-token"


def stored_runs(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(runs.c.run_id)).scalars())


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    return write_sequence(tmp_path / "runs")[1]


def test_push_needs_the_token_and_is_idempotent(store: Store, serve, run_folder: Path, tmp_path: Path) -> None:
    server = serve(store, token=TOKEN)
    for token in ("", "wrong-token"):
        with pytest.raises(PublishError, match="401" if token else "no token"):
            push(run_folder, server.url, token=token)
    assert stored_runs(store) == [] and not (tmp_path / "pushed").exists()

    first = push(run_folder, server.url, token=TOKEN)
    again = push(run_folder, server.url, token=TOKEN)
    assert (first["created"], first["added"]) == (True, 5)
    assert (again["created"], again["added"]) == (False, 0)
    assert stored_runs(store) == [first["run_id"]]
    pcap = next((tmp_path / "pushed" / first["run_id"]).rglob("han.pcap"))
    assert pcap.read_bytes() == next(run_folder.rglob("han.pcap")).read_bytes()


def test_raw_post_without_token_is_401(store: Store, serve, run_folder: Path) -> None:
    server = serve(store, token=TOKEN)
    request = urllib.request.Request(server.url + "/api/runs", data=b"PK\x05\x06" + bytes(18), method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 401 and stored_runs(store) == []


def test_a_server_without_token_takes_no_pushes(store: Store, serve, run_folder: Path) -> None:
    server = serve(store)
    with pytest.raises(PublishError, match="HTTP 403"):
        push(run_folder, server.url, token=TOKEN)
    assert stored_runs(store) == []


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("body", [b"not a zip", b"", zipped("../run.json", b"{}"), zipped("run.json", b"[1]"),
                                  zipped("bench/provisioning/smki/x.key", b"")])
def test_a_malformed_push_is_refused(store: Store, serve, body: bytes) -> None:
    server = serve(store, token=TOKEN)
    request = urllib.request.Request(server.url + "/api/runs", data=body, method="POST",
                                     headers={"authorization": f"Bearer {TOKEN}"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 400 and stored_runs(store) == []


def test_reads_can_require_the_token(store: Store, serve) -> None:
    server = serve(store, token=TOKEN, read_token=True)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server.url + "/", timeout=10)
    assert err.value.code == 401
    request = urllib.request.Request(server.url + "/", headers={"authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and b"Runs" in response.read()
