"""Verdicts of a conformance test, and how they are decided.

PASS: every check held. FAIL: the device under test broke a rule (a `ConformanceFailure`, wherever raised,
or an `AssertionError` from the test's own checks). ERROR: the bench broke (a `BenchFault`, any other
exception, any error while setting up or tearing down fixtures). SKIP: not applicable to this bench.
Each verdict carries a one-line reason.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from harness.errors import ConformanceFailure

REASON_LIMIT = 200


class Verdict(str, enum.Enum):
    """The four verdicts, in order of severity for summaries."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    SKIP = "SKIP"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Outcome:
    """A verdict and its one-line reason."""

    verdict: Verdict
    reason: str = ""


def one_line(text: str, limit: int = REASON_LIMIT) -> str:
    """The first non-empty line of `text`, cut to `limit` characters."""
    for line in str(text).splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def describe(exc: BaseException) -> str:
    """`Type: first line of message` for an exception."""
    message = one_line(str(exc))
    name = type(exc).__name__
    return one_line(f"{name}: {message}") if message else name


def classify(exc: BaseException, phase: str) -> Outcome:
    """The outcome of an exception raised in `phase` ("setup", "call" or "teardown").

    A `ConformanceFailure` is FAIL in any phase (a fixture may catch the DUT misbehaving while bringing it up);
    a bare `AssertionError` is FAIL only from the test body: in a fixture it is the rig's own check, so ERROR.
    Everything else (including `BenchFault`, pytest's `fail()` and pytest-timeout's timeout) is ERROR.
    A FAIL's reason is the rule's message; an ERROR's reason starts with the exception type.
    """
    if isinstance(exc, ConformanceFailure) or (isinstance(exc, AssertionError) and phase == "call"):
        return Outcome(Verdict.FAIL, one_line(str(exc)) or "assertion failed")
    where = "" if phase == "call" else f"in fixture {phase}: "
    return Outcome(Verdict.ERROR, one_line(f"{where}{describe(exc)}"))


def combine(setup: Outcome | None, call: Outcome | None, teardown: Outcome | None) -> Outcome:
    """The test's verdict from the outcomes of its phases (None for a phase that did not run).

    Setup decides when it did not pass, else the call does; a failing teardown turns PASS or SKIP into its
    own verdict, and is appended to the reason of an earlier FAIL or ERROR (which stands).
    """
    if setup is None:
        return Outcome(Verdict.ERROR, "test did not run")
    decided = setup if setup.verdict is not Verdict.PASS or call is None else call
    if teardown is not None and teardown.verdict in (Verdict.FAIL, Verdict.ERROR):
        if decided.verdict in (Verdict.PASS, Verdict.SKIP):
            return teardown
        return Outcome(decided.verdict, one_line(f"{decided.reason}; then {teardown.reason}"))
    return decided
