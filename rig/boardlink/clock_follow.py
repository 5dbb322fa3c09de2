"""Boards follow the run's clock: every move of a VirtualClock is pushed to the board with `time.set`."""
from __future__ import annotations

from rig.boardlink.link import BoardLink
from rig.clock import VirtualClock


class ClockFollower:
    """Keeps one board's clock equal to the run's virtual clock (also after a reconnect)."""

    def __init__(self, link: BoardLink, clock: VirtualClock):
        self.link = link
        self.clock = clock
        self.active = True
        clock.on_change(self._moved)
        link.on_connect(lambda _link: self.sync())

    def sync(self) -> None:
        """Push the clock's current time to the board now."""
        if self.active:
            self.link.call("time.set", utc_ms=to_ms(self.clock.now()))

    def _moved(self, now: float) -> None:
        if self.active:
            self.link.call("time.set", utc_ms=to_ms(now))

    def stop(self) -> None:
        """Stop following (VirtualClock keeps the listener; it becomes a no-op)."""
        self.active = False


def to_ms(utc_seconds: float) -> int:
    return int(round(utc_seconds * 1000))


def follow_clock(link: BoardLink, clock: VirtualClock) -> ClockFollower:
    """Make the board on `link` follow `clock`; pushes the current time at once."""
    follower = ClockFollower(link, clock)
    follower.sync()
    return follower
