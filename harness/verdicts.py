"""Verdicts of a conformance test, and how they are decided: the one rule of attribution.

PASS: every check held. FAIL: the device under test broke a rule: what it sent or failed to send (a bad MAC or
signature, a malformed or missing response or alert, a wrong status, a refusal it should not make). That is a
`ConformanceFailure` wherever raised, an `AssertionError` from the test's own checks, or an `InputError` raised
while the rig decodes or verifies the device's bytes inside `from_device`. ERROR: the rig or bench broke (a
`BenchFault`: lost board, radio fault, the rig's own timeout; any other exception, i.e. a bug in rig code; any
error while setting up or tearing down fixtures other than a `ConformanceFailure`), and a FAIL on a channel that
lost frames beyond every retry (`over_channel`). SKIP: not applicable to this
bench, or a test waiting longer than a real-time bench's limit when the user did not allow long tests (`LongWait`,
which the plugin turns into a pytest skip). Each verdict carries a one-line reason.
"""
from __future__ import annotations

import enum
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from harness.errors import ConformanceFailure, InputError

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


@contextmanager
def from_device(what: str, rule: str) -> Iterator[None]:
    """Decode or verify bytes the device under test sent (`what`) under the rule they must keep (`rule`).

    An `InputError` raised inside (malformed bytes, a bad MAC or signature, a refused counter: the DCC core's
    `Rejected` is one) is the device's doing and leaves as a `ConformanceFailure` naming `what` and `rule`; any
    other exception (a bug in rig code, a bench fault) passes through unchanged and the verdict is ERROR. Keep the
    block to the decoding of the device's bytes: rig files and settings are not the device's input.
    """
    try:
        yield
    except InputError as exc:
        raise ConformanceFailure(one_line(f"{what} breaks {rule}: {exc}")) from exc


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


def over_channel(outcome: Outcome, frames_lost: int) -> Outcome:
    """The verdict of a test whose radio channel lost `frames_lost` frames beyond every retry: a FAIL becomes ERROR
    (the device cannot be blamed for what the channel never carried); PASS, SKIP and ERROR stand."""
    if outcome.verdict is Verdict.FAIL and frames_lost:
        return Outcome(Verdict.ERROR, one_line(f"the channel lost {frames_lost} frames beyond every retry "
                                               f"(the checks then said: {outcome.reason})"))
    return outcome


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
