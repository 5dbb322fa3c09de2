"""Host side of the board link (framing in firmware/linkproto.py, shared with the boards)."""
from rig.boardlink.clock_follow import ClockFollower, follow_clock
from rig.boardlink.errors import BoardError, HelloMismatch, LinkTimeout
from rig.boardlink.link import BoardLink, Event, Hello

__all__ = ["BoardError", "BoardLink", "ClockFollower", "Event", "Hello", "HelloMismatch", "LinkTimeout",
           "follow_clock"]
