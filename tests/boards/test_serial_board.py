"""SerialBoard, the real-board implementation, against a simulated board's port and a missing port."""
from __future__ import annotations

import pytest

from harness.errors import BoardLost
from rig.boards.serial import SerialBoard


def test_present_port_starts_and_is_alive(sim_board):
    board = SerialBoard("esme", sim_board.port)
    board.start()
    assert board.alive() and board.port == sim_board.port


def test_missing_port_is_a_lost_board_with_a_hint():
    board = SerialBoard("esme", "/dev/ttyNOPE7")
    assert not board.alive()
    with pytest.raises(BoardLost, match="/dev/ttyNOPE7 is absent.*plugged in"):
        board.start()


def test_port_gone_after_the_board_is_unplugged(sim_board):
    board = SerialBoard("esme", sim_board.port)
    sim_board.kill()
    assert not board.alive()


def test_unknown_reset_method_is_refused():
    with pytest.raises(ValueError, match="reset"):
        SerialBoard("esme", "/dev/ttyACM0", reset="button")
