"""Stopping cleanly on SIGINT and SIGTERM, and at once on a second signal.

The first signal raises `Interrupted` (a KeyboardInterrupt, so pytest and click treat it as Ctrl-C) in the main
thread: the run records what finished, marks itself interrupted, and stops its boards on the normal way out. A
second signal does not wait for that: every simulated board's interpreter is killed and the process exits at once
(128 + the signal number), so nothing is left behind even then.
"""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from types import FrameType
from typing import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The run was asked to stop; str() is the signal's name (SIGINT, SIGTERM)."""


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM stop the program as described above; handlers are restored on exit."""
    received: list[int] = []

    def handle(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) > 1:
            from rig.boards.sim import abandon_all

            abandon_all()
            os._exit(128 + signum)
        raise Interrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handle) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
