"""Sending a finished run folder to a remote `rig results serve` (``POST /api/runs`` with a bearer token)."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from harness.store.runfolder import pack

TOKEN_ENV = "RIG_RESULTS_TOKEN"
TIMEOUT = 120


class PublishError(Exception):
    """The server refused the run or could not be reached."""


def push(folder: Path, url: str, token: str | None = None) -> dict:
    """Push the run in `folder` to the server at `url`; returns its answer ({run_id, created, added})."""
    token = token if token is not None else os.environ.get(TOKEN_ENV)
    if not token:
        raise PublishError(f"no token: set {TOKEN_ENV}")
    _, data = pack(folder)
    request = urllib.request.Request(url.rstrip("/") + "/api/runs", data=data, method="POST", headers={
        "content-type": "application/zip", "authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("error", "")
        except (ValueError, AttributeError):
            detail = ""
        raise PublishError(f"{url}: HTTP {exc.code} {detail}".strip()) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PublishError(f"{url}: {getattr(exc, 'reason', exc)}") from None
