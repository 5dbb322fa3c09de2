"""The UI of a real device: the rig asks the engineer at the bench to act on it or read it, and waits (with a
timeout) for the answer typed at the console. No answer in time is the bench's fault (`RigTimeout`: ERROR)."""
from __future__ import annotations

import os
import select
import time
from typing import TextIO

from harness.errors import InputError, RigTimeout
from harness.ui.protocol import check_keys

DEFAULT_TIMEOUT = 300.0


class Console:
    """A question on `out`, an answer line from `answers` within `timeout` seconds."""

    def __init__(self, answers: TextIO, out: TextIO, timeout: float = DEFAULT_TIMEOUT):
        self.answers = answers
        self.out = out
        self.timeout = timeout

    def ask(self, question: str) -> str:
        self.out.write(f"\n[rig] {question}\n> ")
        self.out.flush()
        deadline = time.monotonic() + self.timeout
        line = b""
        while not line.endswith(b"\n"):        # unbuffered, so select() sees what is still unread
            ready, _, _ = select.select([self.answers], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise RigTimeout(f"no answer from the operator within {self.timeout:g} s to: {question}")
            byte = os.read(self.answers.fileno(), 1)
            if not byte:
                raise RigTimeout(f"the operator console closed before answering: {question}")
            line += byte
        return line.decode(errors="replace").strip()


class OperatorUi:
    """A real device's UI through the engineer: each action is a prompt naming the device and what to do."""

    def __init__(self, role: str, console: Console):
        self.role = role
        self.console = console

    def press(self, keys: str) -> None:
        self.console.ask(f"On the {self.role.upper()}'s keypad press: {check_keys(keys)}   (then Enter)")

    def display(self) -> str:
        return self.console.ask(f"Type exactly what the {self.role.upper()}'s display shows now:")

    def supply(self) -> bool:
        answer = self.console.ask(f"Is the {self.role.upper()}'s supply on (relay closed / valve open)? [y/n]")
        if answer.lower() not in ("y", "yes", "n", "no"):
            raise InputError(f"operator answer {answer!r} is not y or n", field="supply")
        return answer.lower().startswith("y")
