"""Sealing the device under test: on a sealed run (`rig run --dut ROLE`) the emulator of ROLE works as before, but
the test code holds only a `Sealed` stand-in for it. The stand-in lets through the outward actions a real device
of that role can be made to take (a bench action or an operator's: power, WAN, "join now"), hands back only what
a real device would show there, and turns any other use (board link calls, radio key tables, emulator logs,
credentials) into `SealBroken`: ERROR, "the test reads the insides of the device under test (ROLE)".
So a suite that passes sealed judges a real device from the same sources: the air, the DCC core and the UI.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

from harness.errors import BenchFault

# Per role, the actions a test may take on a sealed device: method name -> whether its result is something the
# real device shows (True: passed back; False: the action is done, the result, the emulator's view, is dropped).
ACTIONS: dict[str, dict[str, bool]] = {
    "chf": {"set_wan": False, "deliver_firmware": True},  # the DCC's delivery of the CH's image: acknowledged?
    "esme": {"join": False, "apply_load": False, "tamper": False, "download_firmware": False, "drift_clock": False,
             "load_trust_anchor": True},  # the loading tool reports whether the cell took the certificate
    "gsme": {"join": False, "apply_load": False, "tamper": False, "power_loss": False, "download_firmware": False},
    "ppmid": {"join": False, "download_firmware": False},
    "hcalcs": {"join": False},
    # the HHT hands back the CH's response to a locally delivered command (SRV 8.13 via the HHT)
    "hht": {"connect": False, "join": False, "deliver_locally": True},
}


class SealBroken(BenchFault):
    """A test reached into a sealed device under test: the test (the rig) is wrong, not the device."""

    def __init__(self, role: str, what: str):
        self.role = role
        self.what = what
        super().__init__(f"the test reads the insides of the device under test ({role}): {what}")


class SealLog:
    """Every attempt to reach into a sealed role in one test, so one that a test swallowed still counts."""

    def __init__(self) -> None:
        self.attempts: list[SealBroken] = []

    def broken(self, role: str, what: str) -> SealBroken:
        error = SealBroken(role, what)
        self.attempts.append(error)
        return error

    def check(self) -> None:
        """Raise the first attempt, if any (for the end of the test)."""
        if self.attempts:
            raise self.attempts[0]


class Sealed:
    """Stands in for the emulator of a sealed `role`: only the actions of `ACTIONS[role]` pass."""

    __slots__ = ("_role", "_target", "_log")

    def __init__(self, role: str, target: Any, log: SealLog):
        object.__setattr__(self, "_role", role)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_log", log)

    def __getattr__(self, name: str) -> Any:
        role = object.__getattribute__(self, "_role")
        log = object.__getattribute__(self, "_log")
        actions = ACTIONS.get(role, {})
        if name not in actions:
            raise log.broken(role, f"{name!r} is not one of its outward actions ({', '.join(actions) or 'none'})")
        method: Callable[..., Any] = getattr(object.__getattribute__(self, "_target"), name)
        shows = actions[name]

        def action(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            return result if shows else None
        return action

    def __setattr__(self, name: str, value: Any) -> None:
        role = object.__getattribute__(self, "_role")
        raise object.__getattribute__(self, "_log").broken(role, f"sets {name!r} on it")

    def __repr__(self) -> str:
        return f"<sealed {object.__getattribute__(self, '_role')}>"


def seal(role: str, target: Any, sealed: set[str], log: SealLog) -> Any:
    """`target` itself, or its `Sealed` stand-in when `role` is sealed."""
    return Sealed(role, target, log) if role in sealed else target


class SealedMapping(Mapping[str, Any]):
    """A role -> object mapping (radios, board links) whose sealed roles' entries cannot be had."""

    def __init__(self, items: Mapping[str, Any], what: str, sealed: set[str], log: SealLog):
        self._items = items
        self._what = what
        self._sealed = sealed
        self._log = log

    def __getitem__(self, role: str) -> Any:
        if role in self._sealed:
            raise self._log.broken(role, f"its {self._what}")
        return self._items[role]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class SealedBench:
    """The running bench as a sealed run's tests see it: everything but the sealed roles' board links."""

    def __init__(self, runtime: Any, sealed: set[str], log: SealLog):
        self._runtime = runtime
        self._sealed = sealed
        self._log = log

    def link(self, role: str) -> Any:
        if role in self._sealed:
            raise self._log.broken(role, "its board link")
        return self._runtime.link(role)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runtime, name)
