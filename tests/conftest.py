"""Project-wide test fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.shared import shared_path


def _require(*parts: str) -> Path:
    path = shared_path(*parts)
    if path is None:
        pytest.skip(f"shared material {'/'.join(parts)} is absent (expected ../shared beside the checkout, or set RIG_SHARED)")
    return path


@pytest.fixture
def shared():
    """Call ``shared('vectors', 'cbke.json')`` to get a path inside ../shared, skipping the test when absent."""
    return _require
