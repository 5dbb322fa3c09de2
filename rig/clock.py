"""The run's clock authority.

One clock per run. On the simulated bench it is a `VirtualClock`: time only moves when the run advances it,
and advancing is instant; timers scheduled with `call_at` fire in time order as it moves. Emulated boards and
the simulated radio medium follow it (they are told the time; they never read the host's clock). A
`RealClock` serves benches with real DUTs, where waits take real time.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Callable, Protocol

# 2026-01-01T00:00:00Z: the default start of virtual time (UTC seconds).
DEFAULT_EPOCH = 1767225600.0


class Clock(Protocol):
    """What every component may ask of the run's clock."""

    def now(self) -> float:
        """UTC seconds."""

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass (instant on a virtual clock, a real sleep on a real one)."""

    def call_at(self, when: float, callback: Callable[[], None]) -> "Timer":
        """Run `callback` once the clock reaches `when` (UTC seconds)."""


class Timer:
    """A scheduled callback; `cancel()` stops it from firing."""

    __slots__ = ("when", "callback", "cancelled")

    def __init__(self, when: float, callback: Callable[[], None]):
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    """Virtual time: `advance` fires due timers in order and returns at once."""

    virtual = True

    def __init__(self, start: float = DEFAULT_EPOCH):
        self._now = float(start)
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()
        self._listeners: list[Callable[[float], None]] = []

    def now(self) -> float:
        return self._now

    def on_change(self, listener: Callable[[float], None]) -> Callable[[], None]:
        """Call `listener(now)` whenever the time moves (boards follow the clock this way).
        Returns a function that removes the listener."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(float(when), callback)
        with self._lock:
            heapq.heappush(self._timers, (timer.when, next(self._seq), timer))
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(self._now + delay, callback)

    def next_due(self) -> float | None:
        """When the earliest pending timer fires, or None."""
        with self._lock:
            while self._timers and self._timers[0][2].cancelled:
                heapq.heappop(self._timers)
            return self._timers[0][0] if self._timers else None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        self.advance_to(self._now + seconds)

    def advance_to(self, when: float) -> None:
        """Move to `when`, firing every timer due on the way, in time order."""
        while True:
            with self._lock:
                due = self._timers[0] if self._timers else None
                if due is None or due[0] > when:
                    break
                heapq.heappop(self._timers)
            _, _, timer = due
            if timer.cancelled:
                continue
            if timer.when > self._now:
                self._set(timer.when)
            timer.callback()
        if when > self._now:
            self._set(when)

    def _set(self, value: float) -> None:
        self._now = value
        for listener in list(self._listeners):
            listener(value)


class RealClock:
    """Wall-clock time for benches with real devices; timers run on a helper thread."""

    virtual = False

    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> None:
        time.sleep(seconds)

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(when, callback)

        def fire() -> None:
            if not timer.cancelled:
                callback()

        t = threading.Timer(max(0.0, when - time.time()), fire)
        t.daemon = True
        t.start()
        return timer
