"""Project-wide test fixtures."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from harness.shared import shared_path
from rig.boards.sim import SimBoard


# The suite starts a few hundred Python processes (`rig run`s, the defect matrix). Where the environment sets
# PYTHONDONTWRITEBYTECODE each of them would compile the project and rewrite its asserts from source again
# (~5 s of CPU a process); let this session and its children keep bytecode in the (git-ignored) __pycache__.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


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


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in line:
            found.append(line)
    return found


@pytest.fixture
def processes_mentioning():
    """Call ``processes_mentioning(text)`` for the command lines of live processes that mention `text` (a
    simulated board's command line names its flash folder)."""
    return _processes_mentioning
