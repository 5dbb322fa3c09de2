"""Serving emulated NCPs on pseudo-terminals: each NCP's ASH side is the master end of a pty whose slave path a
host opens like a dongle's serial port (raw mode, any baud rate).

`PtyNcps` serves every NCP of one medium: `step()` reads what hosts wrote, runs ASH timers and the work each NCP
queued behind its responses. Started (`start()`), a service thread steps and lets the medium's virtual clock follow
wall time (a blocking air operation, such as a join, may run virtual time ahead; the clock then waits for the wall
to catch up). Not started, the owner steps from its own thread and decides when virtual time moves (the
`sim-ezsp` bench: `rig.radios.ncp_bench`).
"""
from __future__ import annotations

import os
import select
import threading
import time
import tty

from emulators.medium.medium import Medium
from emulators.ncp.ash import Faults
from emulators.ncp.commands import NEWEST
from emulators.ncp.ncp import EmulatedNcp

SERVICE_TICK = 0.02
WRITE_STALL = 5.0   # seconds a port's output may stay full before its bytes are dropped (nobody reads that port)


class PtyNcps:
    """NCPs on `medium` (whose clock must be a VirtualClock nobody else advances), one pty each."""

    def __init__(self, medium: Medium):
        self.medium = medium
        self.clock = medium.clock
        self._ports: list[tuple[EmulatedNcp, int, int]] = []   # (ncp, master fd, slave fd)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wall0 = time.monotonic()
        self._virtual0 = self.clock.now()

    def add(self, eui64: int, *, version: int = NEWEST, name: str | None = None, channel: int = 11,
            faults: Faults | None = None) -> tuple[EmulatedNcp, str]:
        """A new NCP and the path of the pty slave to give its host."""
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        ncp = EmulatedNcp(self.medium, eui64, lambda data, fd=master: self._write(fd, data), version=version,
                          name=name, channel=channel, faults=faults)
        with self._lock:
            self._ports.append((ncp, master, slave))
        return ncp, os.ttyname(slave)

    def start(self) -> "PtyNcps":
        self._thread = threading.Thread(target=self._serve, name="ncp-service", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            for ncp, master, slave in self._ports:
                ncp.close()
                for fd in (master, slave):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self._ports.clear()

    def __enter__(self) -> "PtyNcps":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _write(self, fd: int, data: bytes) -> None:
        """Write to a host's port. A host that stopped reading (it exited, its port still open) loses the bytes after
        `WRITE_STALL`, as a UART without a reader would; closing the service stops a write at once."""
        view = memoryview(data)
        stalled_since: float | None = None
        while view and not self._stop.is_set():
            try:
                view = view[os.write(fd, view):]
                stalled_since = None
            except BlockingIOError:
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since > WRITE_STALL:
                    return
                select.select([], [fd], [], 0.1)
            except OSError:     # the host side went away
                return

    @property
    def ncps(self) -> list[EmulatedNcp]:
        return [ncp for ncp, _, _ in self._ports]

    def step(self, timeout: float = 0.0) -> bool:
        """Read what the hosts wrote (waiting up to `timeout` for the first byte), feed it to the NCPs, then run
        their timers and queued work. True when any byte was read."""
        with self._lock:
            fds = {master: ncp for ncp, master, _ in self._ports}
            readable, _, _ = select.select(list(fds), [], [], timeout)
            for fd in readable:
                while True:
                    try:
                        data = os.read(fd, 4096)
                    except (BlockingIOError, OSError):
                        break
                    fds[fd].feed(data)
            for ncp in fds.values():
                ncp.service()
            return bool(readable)

    def pending_input(self) -> bool:
        """Bytes from a host not yet read."""
        with self._lock:
            fds = [master for _, master, _ in self._ports]
        return bool(fds) and bool(select.select(fds, [], [], 0)[0])

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self.step(SERVICE_TICK)
                with self._lock:
                    self._follow_wall()
            except (OSError, ValueError):
                return

    def skip(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass at once (tests of long waits)."""
        with self._lock:
            self._virtual0 += seconds

    def _follow_wall(self) -> None:
        target = self._virtual0 + (time.monotonic() - self._wall0)
        if target > self.clock.now():
            self.clock.advance_to(target)
