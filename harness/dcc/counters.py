"""Persisted originator counters.

A counter reused by an originator reuses the GCM key and IV, so every counter is written to disk (temporary file,
fsync, atomic rename, directory fsync) *before* it is handed out, under an exclusive file lock so two processes
sharing the file cannot both take it. Reopening the file continues above the last value.
The same file records the highest counter accepted from each device (alert anti-replay).
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from harness.dcc.errors import CounterStoreError

MAX_COUNTER = (1 << 64) - 1
_SECTIONS = ("issued", "received")


class CounterStore:
    """Counters per originator EUI, persisted in a JSON file at ``path``."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        with self._locked():
            self._read()  # fail early on a corrupt file

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, dict[str, int]]:
        try:
            raw = self.path.read_text()
        except FileNotFoundError:
            return {s: {} for s in _SECTIONS}
        except OSError as exc:
            raise CounterStoreError(f"cannot read {self.path}: {exc}") from exc
        try:
            data = json.loads(raw)
            state = {s: {k: int(v, 16) for k, v in data.get(s, {}).items()} for s in _SECTIONS}
        except (ValueError, TypeError, AttributeError) as exc:
            raise CounterStoreError(f"{self.path} is corrupt ({exc}); refusing to guess counters") from exc
        for section in state.values():
            for eui, value in section.items():
                if len(eui) != 16 or not 0 <= value <= MAX_COUNTER:
                    raise CounterStoreError(f"{self.path} is corrupt: entry {eui!r}")
        return state

    def _write(self, state: dict[str, dict[str, int]]) -> None:
        text = json.dumps({s: {k: f"{v:016X}" for k, v in sorted(state[s].items())} for s in _SECTIONS}, indent=1)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def last_issued(self, originator: bytes) -> int | None:
        """The last counter handed out for ``originator``, or None."""
        with self._locked():
            return self._read()["issued"].get(originator.hex())

    def reserve(self, originator: bytes, *, align: int = 1, at_least: int = 0) -> int:
        """The next counter for ``originator``: above every earlier one (and above 0), a multiple of ``align``,
        >= ``at_least``.

        It is on disk before this returns. UTRN commands use ``align=1 << 32`` (low 32 bits zero).
        """
        if align < 1 or at_least < 0:
            raise ValueError("align must be >= 1 and at_least >= 0")
        with self._locked():
            state = self._read()
            last = state["issued"].get(originator.hex())
            start = max(at_least, 1 if last is None else last + 1)  # 0 is never issued
            counter = -(-start // align) * align
            if counter > MAX_COUNTER:
                raise CounterStoreError(f"counters for {originator.hex().upper()} are exhausted")
            state["issued"][originator.hex()] = counter
            self._write(state)
            return counter

    def accept(self, originator: bytes, counter: int) -> bool:
        """Record ``counter`` from ``originator`` if it is above every counter accepted before; else False."""
        with self._locked():
            state = self._read()
            last = state["received"].get(originator.hex())
            if last is not None and counter <= last:
                return False
            state["received"][originator.hex()] = counter
            self._write(state)
            return True
