"""Error types that decide verdicts.

A `BenchFault` means the rig or bench broke (lost board, radio reset, the rig's own timeout):
the test's verdict is ERROR, never FAIL. A `ConformanceFailure` means the device under test broke
a rule: the verdict is FAIL. `InputError` is raised for malformed input from devices, files or the
network; it always names what was wrong. On its own it is ERROR; where the input is the device under test's
bytes, `harness.verdicts.from_device` makes it a FAIL naming the rule.
"""
from __future__ import annotations


class RigError(Exception):
    """Base class of the rig's own errors."""


class InputError(RigError, ValueError):
    """Untrusted input (bytes from a device, a file, the network) is malformed.

    ``field`` names the offending field; ``offset`` is a byte offset where that helps.
    """

    def __init__(self, message: str, *, field: str | None = None, offset: int | None = None):
        self.field = field
        self.offset = offset
        where = []
        if field:
            where.append(field)
        if offset is not None:
            where.append(f"offset {offset}")
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")


class BenchFault(RigError):
    """The bench failed (verdict ERROR): not the device under test's fault."""


class BoardLost(BenchFault):
    """A board stopped answering, reset unexpectedly or its port vanished."""


class RadioFault(BenchFault):
    """A radio (NCP or simulated) reset, or refused a command."""


class RigTimeout(BenchFault):
    """The rig itself timed out waiting for its own machinery."""


class LongWait(RigError):
    """A test's waits would take it past its real-time bench's wall-time limit and long tests were not allowed:
    the test is skipped (the user chose not to run long tests; `rig run --allow-long` runs it)."""


class ConformanceFailure(AssertionError):
    """The device under test broke a rule (verdict FAIL). Message says which rule and the evidence."""
