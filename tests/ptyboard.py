"""A bare firmware board for link tests and the link benchmark: the firmware's app run directly (no REPL shim,
no deploy) by the MicroPython unix port behind a pty, with a temporary flash directory.

Topology: the host opens the slave of pty A (`port`), which lives as long as this object. A relay thread
copies bytes between the masters of pty A and pty B; the interpreter has pty B's slave as its console and
controlling terminal, cooked like a board's console (ONLCR, ISIG with ^C). `restart()` kills the interpreter
and starts a new one on a fresh pty B (a board reset), while pty A stays open. `pause()`/`resume()` stall the
interpreter (a slow board). `inject_to_host()` puts raw bytes on the wire towards the host (garbage, truncated or
oversized frames).
"""
from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import subprocess
import termios
import threading
import tty
from pathlib import Path

from harness.shared import PROJECT_ROOT
from rig.boards.sim import micropython_executable, uart_termios

BOOT = """\
import sys
root, config, flash, proto = sys.argv[1:5]
sys.path.insert(0, root)
if proto:
    import firmware.linkproto
    firmware.linkproto.PROTOCOL_VERSION = int(proto)
from firmware.app import main
main(config, flash)
"""


def _controlling_tty() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyBoard:
    """One firmware process on a pty. `config` becomes its /config.json; `proto` overrides the firmware's
    link protocol version (to test the hello check)."""

    def __init__(self, workdir: Path | str, config: dict, *, proto: int | None = None, heapsize: str = "256K"):
        self.workdir = Path(workdir)
        self.flash = self.workdir / "flash"
        self.flash.mkdir(parents=True, exist_ok=True)
        self.config_path = self.workdir / "config.json"
        self.config_path.write_text(json.dumps(config))
        self.boot_path = self.workdir / "boot.py"
        self.boot_path.write_text(BOOT)
        self.stderr_path = self.workdir / "stderr.log"
        self.proto = proto
        self.heapsize = heapsize
        self._a_master, self._a_slave = os.openpty()
        tty.setraw(self._a_slave)
        self._b_master = -1
        self._stale: list[int] = []  # pty B masters of dead interpreters, closed by the relay thread
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self._running = True
        self._relay = threading.Thread(target=self._relay_loop, name="ptyboard relay", daemon=True)
        self._relay.start()

    @property
    def port(self) -> str:
        return os.ttyname(self._a_slave)

    def start(self) -> None:
        """Power the board on (a fresh interpreter on a fresh pty B)."""
        b_master, b_slave = os.openpty()
        uart_termios(b_slave)
        with open(self.stderr_path, "ab") as err:
            self._proc = subprocess.Popen(
                [micropython_executable(), "-X", f"heapsize={self.heapsize}", str(self.boot_path), str(PROJECT_ROOT),
                 str(self.config_path), str(self.flash), "" if self.proto is None else str(self.proto)],
                stdin=b_slave, stdout=b_slave, stderr=err, preexec_fn=_controlling_tty, close_fds=True,
            )
        os.close(b_slave)
        with self._lock:
            self._b_master = b_master
        os.write(self._wake_w, b"x")

    def kill(self) -> None:
        """Cut the power: the interpreter dies at once."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(5)
        with self._lock:
            if self._b_master >= 0:
                self._stale.append(self._b_master)
            self._b_master = -1
        os.write(self._wake_w, b"x")

    def pause(self) -> None:
        """Stall the board (SIGSTOP): it keeps its state and input but answers nothing, as a board stuck in a long
        garbage collection or a busy handler, or one still booting."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """End a `pause()`: the board handles what queued up meanwhile, in order."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """A board reset: kill, then power on again (flash kept)."""
        self.kill()
        self.start()

    def inject_to_host(self, data: bytes) -> None:
        """Raw bytes on the wire towards the host, as if the board had sent them."""
        with self._lock:
            os.write(self._a_master, data)

    def close(self) -> None:
        self.kill()
        self._running = False
        os.write(self._wake_w, b"x")
        self._relay.join(2)
        for fd in (self._a_master, self._a_slave, self._wake_r, self._wake_w, *self._stale):
            os.close(fd)

    def __enter__(self) -> "PtyBoard":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _relay_loop(self) -> None:
        while self._running:
            with self._lock:
                for fd in self._stale:
                    os.close(fd)
                self._stale.clear()
                b = self._b_master
            fds = [self._a_master, self._wake_r] + ([b] if b >= 0 else [])
            ready, _, _ = select.select(fds, [], [], 1.0)
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            if self._a_master in ready:
                data = os.read(self._a_master, 65536)
                if b >= 0 and data:
                    self._write(b, data)
            if b >= 0 and b in ready:
                try:
                    data = os.read(b, 65536)
                except OSError:  # EIO: the interpreter has gone; wait for the next start()
                    data = b""
                with self._lock:
                    if data:
                        os.write(self._a_master, data)
                    elif self._b_master == b:
                        os.close(b)
                        self._b_master = -1

    def _write(self, fd: int, data: bytes) -> None:
        try:
            os.write(fd, data)
        except OSError:
            pass  # the board died mid-write; bytes to an unpowered board are lost, as on a real wire
