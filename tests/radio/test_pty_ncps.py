"""`PtyNcps` never hangs on a host that stopped reading: its port's output fills, and closing still returns."""
from __future__ import annotations

import os
import select
import threading
import time

from emulators.medium.medium import Medium
from emulators.ncp import server
from emulators.ncp.server import PtyNcps

PATIENCE = 60  # seconds: a ceiling for a busy machine; each wait ends at its event
from rig.clock import VirtualClock


def test_close_returns_while_a_port_nobody_reads_is_full(monkeypatch):
    monkeypatch.setattr(server, "WRITE_STALL", 10 * PATIENCE)  # the write never gives up by itself within the test
    served = PtyNcps(Medium(VirtualClock(), seed=1))
    _, port = served.add(0x000D6F0000000001)
    host = os.open(port, os.O_RDWR | os.O_NOCTTY)   # opened, never read: a host that exited without closing
    try:
        master = served._ports[0][1]

        def answer() -> None:   # as the service thread does: an NCP's output is written with the lock held
            with served._lock:
                served._write(master, b"\x7e" * 1_000_000)

        writer = threading.Thread(target=answer, daemon=True)
        writer.start()
        deadline = time.monotonic() + PATIENCE
        while select.select([], [master], [], 0)[1]:   # until the port is full
            assert writer.is_alive(), "the pty took a megabyte: the test cannot show a full port"
            assert time.monotonic() < deadline, "the port never filled"
            time.sleep(0.01)
        assert writer.is_alive()
        closer = threading.Thread(target=served.close, daemon=True)
        closer.start()
        closer.join(PATIENCE)
        assert not closer.is_alive(), "close() hangs behind a write to a port nobody reads"
    finally:
        os.close(host)
