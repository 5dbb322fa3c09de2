"""Fixtures for board tests: a simulated board in a temporary folder, and mpremote as a subprocess."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


MPREMOTE = str(Path(sys.executable).parent / "mpremote")


@pytest.fixture
def mpremote(sim_board):
    """Run `mpremote connect <board port> ARGS...`; returns the CompletedProcess (text)."""

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:  # a ceiling for a busy machine
        return subprocess.run([MPREMOTE, "connect", sim_board.port, *args], capture_output=True, text=True,
                              timeout=timeout)

    return run
