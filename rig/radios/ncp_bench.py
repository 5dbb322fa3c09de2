"""The `sim-ezsp` radio path: every emulated role's radio is an `EzspRadio` (bellows, unmodified) talking over a pty
to an emulated EmberZNet NCP whose air side is the bench's simulated medium.

One thread does everything that touches the run's virtual clock: the caller's. The NCPs are served from the radios'
own wait loops (`service`) and from `wait`/`advance`, which move virtual time only when every NCP and every host is
idle: no unread bytes on any pty, no NCP work or unacknowledged ASH frame, no command in flight, no callback the NCP
sent that bellows has not handed over, no delivery not yet given to the emulators. So a suite costs what its frames
cost, not its virtual waits. A wall-clock watchdog turns a bench that never settles into a RigTimeout (ERROR).
Code that moves the clock itself, timer by timer (an emulator waiting out a retry), finds the bench settled at each
new time, as it finds the medium's deliveries done on the simulated bench.
"""
from __future__ import annotations

import time
from typing import Callable

from emulators.medium.medium import Medium
from emulators.ncp.commands import NEWEST
from emulators.ncp.ncp import EmulatedNcp
from emulators.ncp.server import PtyNcps
from harness.errors import RigTimeout
from rig.radios.ezsp import EzspRadio

WATCHDOG = 60.0          # wall seconds a bench may go without settling
COMMAND_TIMEOUT = 30.0   # wall seconds per EZSP command (a watchdog: an emulated NCP answers in milliseconds)


class EmulatedNcpBench:
    """Emulated NCPs on `medium` (on the run's VirtualClock) and the EzspRadios that drive them."""

    def __init__(self, medium: Medium, version: int = NEWEST):
        self.medium, self.clock, self.version = medium, medium.clock, version
        self.ncps = PtyNcps(medium)
        self._pairs: list[tuple[EmulatedNcp, EzspRadio]] = []
        self._serving = False
        self._armed = False
        self._unfollow = self.clock.on_change(self._moved)

    def radio(self, eui64: int, name: str) -> EzspRadio:
        """A new NCP (EUI-64 `eui64`, node `name` on the medium) and the EzspRadio connected to it."""
        ncp, port = self.ncps.add(eui64, version=self.version, name=name)
        radio = EzspRadio(port, command_timeout=COMMAND_TIMEOUT, expected_eui=eui64, clock=self.clock, driver=self)
        self._pairs.append((ncp, radio))
        return radio

    def close(self) -> None:
        self._unfollow()
        for _, radio in self._pairs:
            radio.close()
        self._pairs.clear()
        self.ncps.close()

    # ---- Driver ---------------------------------------------------------------------------------------------
    def service(self) -> None:
        """Serve the NCPs once (a radio's command in flight). Other radios' deliveries wait for the bench to
        settle, as on the simulated medium a frame arrives only when virtual time moves; a timer due now has it
        settle before code that moves the clock itself, timer by timer, moves it any further."""
        self._step()
        if not self._armed and self._pairs:
            self._armed = True
            self.clock.call_at(self.clock.now(), self._due)

    def _step(self) -> None:
        serving, self._serving = self._serving, True
        try:
            self.ncps.step(0.0005)
        finally:
            self._serving = serving

    def _due(self) -> None:
        self._armed = False
        self._moved(self.clock.now())

    def _deliver(self) -> None:
        """Serve the NCPs once and hand out every radio's deliveries (one radio's callback may be what another
        is waiting for)."""
        self._step()
        for _, radio in self._pairs:
            radio.poll()

    def _moved(self, _now: float) -> None:
        """The clock moved: settle at the new time, unless the move happened while serving (an NCP's own wait)."""
        if not self._serving and self._pairs and not self.idle():
            self.settle()

    def idle(self) -> bool:
        if self.ncps.pending_input():
            return False
        return all(ncp.idle() and radio.idle() and radio.callbacks_seen >= ncp.callbacks_sent
                   for ncp, radio in self._pairs)

    def settle(self) -> None:
        """Serve and hand out deliveries until everything is idle."""
        deadline = time.monotonic() + WATCHDOG
        while True:
            self._deliver()
            if self.idle():
                return
            if time.monotonic() > deadline:
                raise RigTimeout(f"sim-ezsp: the emulated NCPs and their hosts did not settle within {WATCHDOG:g} s")

    def wait(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = self.clock.now() + timeout
        while True:
            self.settle()
            if done():
                return True
            due = self.clock.next_due()
            if due is None or due > deadline:
                if self.clock.now() < deadline:
                    self.clock.advance_to(deadline)
                    self.settle()
                return done()
            self.clock.advance_to(due)

    def advance(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass, timer by timer, settling the bench before each."""
        self.wait(lambda: False, seconds)
