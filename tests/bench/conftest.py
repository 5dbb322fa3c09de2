"""Fixtures for bench tests."""
from __future__ import annotations

import pytest

from rig.boards.sim import SimBoard


@pytest.fixture
def sim_board_without_firmware(tmp_path):
    """A simulated board used as if it were a real board on a serial port (nothing deployed yet)."""
    board = SimBoard("plain", tmp_path / "plain-board")
    board.start()
    yield board
    board.stop()
