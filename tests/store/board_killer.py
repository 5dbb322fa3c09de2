"""A pytest plugin that a test loads into a real `rig run` (``PYTEST_ADDOPTS="-p board_killer"``, this folder on
PYTHONPATH) to lose a board mid-run: when a test whose node id contains TEXT starts (its fixtures set up, its body
not yet run), the simulated board of ROLE dies, as if its power or USB cable were pulled. ``RIG_KILL_BOARD=ROLE@TEXT``
says which. The rig must then give that test ERROR (a bench fault, never FAIL) and bring the board back for the next.
"""
from __future__ import annotations

import os

import pytest

KILL_ENV = "RIG_KILL_BOARD"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    role, _, text = os.environ.get(KILL_ENV, "").partition("@")
    if role and text and text in item.nodeid:
        item._request.getfixturevalue("rig_bench").board(role).kill()
