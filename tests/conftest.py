"""Project-wide test fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.shared import shared_path
from rig.boards.sim import SimBoard


def _require(*parts: str) -> Path:
    path = shared_path(*parts)
    if path is None:
        pytest.skip(f"shared material {'/'.join(parts)} is absent (expected ../shared beside the checkout, or set RIG_SHARED)")
    return path


@pytest.fixture
def shared():
    """Call ``shared('vectors', 'cbke.json')`` to get a path inside ../shared, skipping the test when absent."""
    return _require


@pytest.fixture
def sim_board(tmp_path):
    """A simulated board in a temporary folder, started, with nothing deployed (stopped after the test)."""
    board = SimBoard("t", tmp_path / "board")
    board.start()
    yield board
    board.stop()
