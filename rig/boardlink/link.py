"""Host side of the board link: requests, responses and events over a pyserial URL.

A reader thread splits the byte stream into frames and board log lines. Responses complete the matching
request (by sequence number); events go to a queue and to callbacks. A `boot` event the host did not ask
for means the board reset: requests in flight fail with `BoardLost`, and so does every call until
`reconnect()`.

An answer to a request the host gave up on (`LinkTimeout`, e.g. a hello retried while the board boots, or a board
slowed by load) is expected and counted as `late`; only an answer the host cannot account for (a sequence number
it never sent, or one already answered) counts as `stray`.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import serial

from firmware import linkproto
from harness.errors import BoardLost, InputError
from rig.boardlink.errors import BoardError, HelloMismatch, LinkTimeout
from rig.boardlink.framer import Frame, Framer

DEFAULT_TIMEOUT = 5.0
MAX_LOG_LINES = 10000
MAX_ABANDONED = 256  # requests given up on whose late answers are still recognised as late, not stray


@dataclass(frozen=True)
class Hello:
    """What a board says about itself."""

    proto: int
    role: str | None
    fw: str
    board_id: str | None
    eui64: str | None
    boots: int
    state: str
    base_fw: str | None = None  # the wired firmware's version while an OTA-activated image runs

    @classmethod
    def parse(cls, body: dict, where: str) -> "Hello":
        def get(name: str, kinds: tuple[type, ...], optional: bool = False) -> Any:
            value = body.get(name)
            if (value is None and optional) or (isinstance(value, kinds) and not isinstance(value, bool)):
                return value
            raise InputError(f"hello from {where}: expected {'/'.join(k.__name__ for k in kinds)}",
                             field=name)

        return cls(get("proto", (int,)), get("role", (str,), True), get("fw", (str,)),
                   get("board_id", (str,), True), get("eui64", (str,), True), get("boots", (int,)),
                   get("state", (str,)), get("base_fw", (str,), True))


@dataclass(frozen=True)
class Event:
    """Something the board did on its own; `seq` is the board's event counter."""

    name: str
    data: dict
    seq: int
    at: float = field(default_factory=time.monotonic)


class _Pending:
    __slots__ = ("method", "done", "body", "error")

    def __init__(self, method: str):
        self.method = method
        self.done = threading.Event()
        self.body: dict | None = None
        self.error: Exception | None = None

    def fail(self, error: Exception) -> None:
        self.error = error
        self.done.set()


class BoardLink:
    """The board link to one board on a pyserial URL (/dev/ttyACM0, /dev/pts/N, socket://…, loop://)."""

    def __init__(self, url: str, *, baudrate: int = 115200, log_path: Path | str | None = None,
                 name: str | None = None):
        self.url = url
        self.where = f"{name} board" if name else f"board on {url}"  # how messages name the board (its role)
        self.baudrate = baudrate
        self.hello: Hello | None = None
        self._expect_role: str | None = None
        self._serial: serial.SerialBase | None = None
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._abandoned: OrderedDict[int, str] = OrderedDict()  # seq -> method of requests that timed out
        self._seq = 0
        self._lost: str | None = None
        self._connecting = False
        self._framer = Framer()
        self._events: queue.Queue[Event] = queue.Queue()
        self._callbacks: list[Callable[[Event], None]] = []
        self._connect_hooks: list[Callable[["BoardLink"], None]] = []
        self._event_seq: int | None = None
        self._log: list[str] = []
        self._log_file = open(log_path, "a", encoding="utf-8") if log_path else None
        self.counters = {"tx": 0, "timeouts": 0, "late": 0, "stray": 0, "events_lost": 0, "resets": 0}

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self) -> None:
        """Open the port and start the reader thread (connect() does this when needed)."""
        if self._serial is not None:
            return
        try:
            self._serial = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.05)
        except (serial.SerialException, OSError, ValueError) as e:
            raise BoardLost(f"cannot open board port {self.url}: {e}") from e
        self._stop.clear()
        self._lost = None
        self._framer = Framer()
        self._event_seq = None
        self._reader = threading.Thread(target=self._read_loop, name=f"boardlink {self.url}", daemon=True)
        self._reader.start()

    def connect(self, expect_role: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Hello:
        """Open if needed, exchange hellos (retrying while the board boots) and check the protocol
        version and, when given, the role. Raises `HelloMismatch` or `BoardLost`."""
        self._expect_role = expect_role
        self.open()
        self._connecting = True
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._lost = None
                left = deadline - time.monotonic()
                try:
                    body = self.request("hello", {"proto": linkproto.PROTOCOL_VERSION},
                                        timeout=max(0.05, min(0.5, left)))
                    break
                except LinkTimeout:
                    if time.monotonic() >= deadline:
                        raise LinkTimeout(f"{self.where} did not answer hello within {timeout:.1f} s") from None
        finally:
            self._connecting = False
        hello = Hello.parse(body, self.where)
        if hello.proto != linkproto.PROTOCOL_VERSION:
            raise HelloMismatch("protocol version", linkproto.PROTOCOL_VERSION, hello.proto, self.where)
        if expect_role is not None and hello.role != expect_role:
            raise HelloMismatch("role", expect_role, hello.role, self.where)
        self.hello = hello
        for hook in list(self._connect_hooks):
            hook(self)
        return hello

    def reconnect(self, timeout: float = DEFAULT_TIMEOUT) -> Hello:
        """Close, reopen (retrying while the port is absent, e.g. a USB board re-enumerating) and hello again."""
        self.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.open()
                break
            except BoardLost:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
        return self.connect(self._expect_role, max(0.5, deadline - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(2.0)
        self._reader = None
        if self._serial is not None:
            try:
                self._serial.close()
            except (serial.SerialException, OSError):
                pass  # the port is already gone
            self._serial = None
        self._fail_all(BoardLost(f"link to the {self.where} closed"))

    def __enter__(self) -> "BoardLink":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    # -- requests ----------------------------------------------------------------------------------
    def call(self, method: str, *, timeout: float | None = None, **params: Any) -> dict:
        """Call a board method; returns its result. Raises BoardError, LinkTimeout or BoardLost."""
        return self.request(method, params, timeout=timeout)

    def request(self, method: str, params: dict, timeout: float | None = None) -> dict:
        """`call` with the parameters as a dict (for parameter names that clash with `timeout`)."""
        if self._lost is not None:
            raise BoardLost(self._lost)
        if self._serial is None:
            raise BoardLost(f"link to the {self.where} is not open")
        with self._lock:
            self._seq = self._seq % 0xFFFF + 1
            seq = self._seq
            self._abandoned.pop(seq, None)
            pending = self._pending[seq] = _Pending(method)
        try:
            line = linkproto.encode(linkproto.REQUEST, seq, {"m": method, "p": params})
        except ValueError as e:
            with self._lock:
                self._pending.pop(seq, None)
            raise InputError(f"request {method!r}: {e}", field="params") from e
        wait = DEFAULT_TIMEOUT if timeout is None else timeout
        try:
            with self._write_lock:
                self._serial.write(line)
                self._serial.flush()
            self.counters["tx"] += 1
            pending.done.wait(wait)
            with self._lock:  # the reader answers under this lock: an answer is either taken here or counted late
                self._pending.pop(seq, None)
                answered = pending.done.is_set()
                if not answered:
                    self._abandon(seq, method)
        except (serial.SerialException, OSError) as e:
            self._mark_lost(f"port of the {self.where} failed: {e}")
            raise BoardLost(self._lost) from e
        finally:
            with self._lock:
                self._pending.pop(seq, None)
        if not answered:
            raise LinkTimeout(f"{self.where} did not answer {method!r} within {wait:.1f} s")
        if pending.error is not None:
            raise pending.error
        assert pending.body is not None
        return pending.body

    # -- events and evidence -------------------------------------------------------------------------
    def on_event(self, callback: Callable[[Event], None]) -> None:
        """Call `callback(event)` on the reader thread for every event (keep it short)."""
        self._callbacks.append(callback)

    def on_connect(self, hook: Callable[["BoardLink"], None]) -> None:
        """Call `hook(link)` after every successful hello (e.g. to push the time to a rebooted board)."""
        self._connect_hooks.append(hook)

    def events(self) -> list[Event]:
        """Events received since the last call (drains the queue)."""
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    def wait_event(self, name: str, timeout: float = DEFAULT_TIMEOUT,
                   match: Callable[[Event], bool] | None = None) -> Event:
        """The next queued event called `name` (and satisfying `match`); earlier other events are dropped
        from the queue. Raises LinkTimeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                event = self._events.get(timeout=max(0.0, left))
            except queue.Empty:
                raise LinkTimeout(f"no {name!r} event from the {self.where} within {timeout:.1f} s") from None
            if event.name == name and (match is None or match(event)):
                return event

    def log_lines(self) -> list[str]:
        """Board output that was not a frame (REPL noise, tracebacks, prints), oldest first."""
        return list(self._log)

    def stats(self) -> dict[str, int]:
        return {**self._framer.stats, **self.counters}

    # -- reader thread ---------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        ser = self._serial
        while not self._stop.is_set() and ser is not None:
            try:
                data = ser.read(ser.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError) as e:
                if not self._stop.is_set():
                    self._mark_lost(f"port of the {self.where} failed: {e}")
                return
            if data:
                for item in self._framer.feed(data):
                    self._dispatch(item)

    def _dispatch(self, item: Frame | str | InputError) -> None:
        if isinstance(item, str):
            self._record("LOG " + item)
            self._log.append(item)
            del self._log[:-MAX_LOG_LINES]
        elif isinstance(item, InputError):
            self._record(f"BAD {item}")
        elif item.kind == linkproto.EVENT:
            self._event(item)
        elif item.kind in (linkproto.RESPONSE, linkproto.ERROR):
            self._response(item)
        else:
            self.counters["stray"] += 1

    def _abandon(self, seq: int, method: str) -> None:
        """Remember a request given up on (call with `_lock` held) so that its answer counts as late."""
        self.counters["timeouts"] += 1
        self._abandoned[seq] = method
        while len(self._abandoned) > MAX_ABANDONED:
            self._abandoned.popitem(last=False)

    def _response(self, frame: Frame) -> None:
        with self._lock:  # the requester decides "answered or timed out" under this lock
            pending = self._pending.get(frame.seq)
            if pending is not None:
                if frame.kind == linkproto.RESPONSE:
                    pending.body = frame.body
                    pending.done.set()
                else:
                    pending.fail(self._error_answer(pending.method, frame.body))
                return
            late = self._abandoned.pop(frame.seq, None)
        if late is not None:
            self.counters["late"] += 1
            self._record(f"LATE seq={frame.seq} answer to {late!r} after its timeout: {json.dumps(frame.body)}")
        else:
            self.counters["stray"] += 1
            self._record(f"STRAY seq={frame.seq} {json.dumps(frame.body)}")

    @staticmethod
    def _error_answer(method: str, body: dict) -> Exception:
        code, message = body.get("code"), body.get("message")
        if not isinstance(code, str) or not isinstance(message, str):
            return InputError(f"error answer to {method!r} is malformed", field="code")
        return BoardError(method, code, message)

    def _event(self, frame: Frame) -> None:
        name, data = frame.body.get("e"), frame.body.get("d")
        if not isinstance(name, str) or not isinstance(data, dict):
            self._record(f"BAD event without name/data: {json.dumps(frame.body)}")
            return
        if self._event_seq is not None and name != "boot" and frame.seq != self._event_seq % 0xFFFF + 1:
            self.counters["events_lost"] += (frame.seq - self._event_seq - 1) % 0x10000
        self._event_seq = frame.seq
        event = Event(name, data, frame.seq)
        self._record(f"EVT {name} {json.dumps(data)}")
        if name == "boot" and data.get("reason") not in ("power_cycle", "reboot") and not self._connecting:
            self.counters["resets"] += 1
            self._mark_lost(f"{self.where} reset (boot event, boot #{data.get('boots')}); "
                            "call reconnect()")
        self._events.put(event)
        for callback in list(self._callbacks):
            callback(event)

    def _mark_lost(self, reason: str) -> None:
        self._lost = reason
        self._fail_all(BoardLost(reason))

    def _fail_all(self, error: Exception) -> None:
        with self._lock:
            pending = list(self._pending.values())
        for p in pending:
            p.fail(error)

    def _record(self, line: str) -> None:
        if self._log_file is not None:
            self._log_file.write(f"{time.time():.3f} {line}\n")
            self._log_file.flush()
