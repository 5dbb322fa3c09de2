"""Where the shared reference material (domain docs, RTDS, vectors) lives.

The rig never copies this material; tests that need it skip when it is absent.
Set RIG_SHARED to point elsewhere; the default is ``../shared`` beside the checkout.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path | None:
    """The shared folder, or None when it is not present."""
    env = os.environ.get("RIG_SHARED")
    path = Path(env) if env else PROJECT_ROOT.parent / "shared"
    return path if path.is_dir() else None


def shared_path(*parts: str) -> Path | None:
    """A path inside the shared folder, or None when the folder or the path is absent."""
    base = shared_dir()
    if base is None:
        return None
    path = base.joinpath(*parts)
    return path if path.exists() else None


def load_vectors(name: str) -> dict | None:
    """One of ``shared/vectors/<name>.json``, or None when absent."""
    path = shared_path("vectors", f"{name}.json")
    return json.loads(path.read_text()) if path else None
