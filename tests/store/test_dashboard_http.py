"""The dashboard's evidence downloads serve only files a run lists, inside its folder; unknown runs and runs
without a bench SMKI get a 404 page, never a crash."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from harness.store.runfolder import read_run
from harness.store.store import Store
from nightly_runs import PCAP_HEADER, write_sequence


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_evidence_and_bundle_downloads_are_confined(tmp_path: Path, serve) -> None:
    folder = write_sequence(tmp_path / "runs")[0]
    (tmp_path / "runs" / "secret.txt").write_text("not evidence")
    record = json.loads((folder / "run.json").read_text())
    record["tests"][0]["evidence"] += ["../secret.txt", "/etc/passwd"]
    (folder / "run.json").write_text(json.dumps(record))
    store = Store(tmp_path / "rig.db")
    run = read_run(folder)
    store.record(run, str(folder))
    base = serve(store).url + f"/runs/{run.run_id}"
    pcap = next(e for e in run.tests[0].evidence if e.endswith(".pcap"))
    assert get(f"{base}/evidence/{pcap}") == (200, PCAP_HEADER)
    for path in ("..%2Fsecret.txt", "../secret.txt", "%2Fetc%2Fpasswd", "run.json", "nope.pcap"):
        status, _ = get(f"{base}/evidence/{path}")
        assert status == 404, path
    assert get(f"{base}/bundle.zip")[0] == 404  # this run has no bench SMKI
    assert get(base.replace(run.run_id, "no-such-run"))[0] == 404
    store.close()


@pytest.mark.parametrize("query", ["?page=x", "?from=yesterday&to=%00", "?verdict=MAYBE&bench=%27"])
def test_odd_filters_are_ignored(tmp_path: Path, serve, query: str) -> None:
    store = Store(tmp_path / "rig.db")
    status, body = get(serve(store).url + "/" + query)
    assert status == 200 and b"0 runs" in body
    store.close()
