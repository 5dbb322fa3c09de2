"""`PtyNcps` never hangs on a host that stopped reading: its port's output fills, and closing still returns."""
from __future__ import annotations

import os
import threading
import time

from emulators.medium.medium import Medium
from emulators.ncp.server import PtyNcps
from rig.clock import VirtualClock


def test_close_returns_while_a_port_nobody_reads_is_full():
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
        time.sleep(0.3)
        assert writer.is_alive(), "the pty took a megabyte: the test cannot show a full port"
        closer = threading.Thread(target=served.close, daemon=True)
        closer.start()
        closer.join(2)
        assert not closer.is_alive(), "close() hangs behind a write to a port nobody reads"
    finally:
        os.close(host)
