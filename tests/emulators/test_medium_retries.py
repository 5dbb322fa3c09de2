"""The medium's model of the MAC's acknowledged retransmission: a unicast frame (ack requested) is lost only when
every one of its 1 + MAC_RETRIES tries is, and then recorded as lost beyond retries; a broadcast gets one try."""
from __future__ import annotations

from emulators.medium.medium import MAC_RETRIES, Impairments, Medium
from rig.clock import VirtualClock


class Node:
    def __init__(self, name: str):
        self.name, self.channel, self.heard = name, 11, []

    def on_psdu(self, psdu: bytes) -> None:
        self.heard.append(psdu)


def half_lossy_pair() -> tuple[VirtualClock, Medium, Node, Node]:
    """A medium losing half of all tries, with nodes `a` and `b` on it."""
    clock = VirtualClock()
    medium = Medium(clock, seed=5, impairments=Impairments(loss=0.5, latency=0.0))
    a, b = Node("a"), Node("b")
    medium.attach(a)
    medium.attach(b)
    return clock, medium, a, b


def test_unicast_frames_are_retried_and_broadcasts_are_not():
    clock, medium, a, b = half_lossy_pair()
    for _ in range(400):
        medium.transmit(a, bytes([0x21, 0x88, 0x01]))   # data frame, ack requested
    clock.advance(1.0)  # retried tries arrive MAC_RETRY_INTERVAL later each
    unicast_lost = 400 - len(b.heard)
    assert unicast_lost == len(medium.beyond_retries) and medium.stats.retried > 0
    assert 0 < unicast_lost < 400 * 0.5 ** (1 + MAC_RETRIES) * 3   # about 1 in 16 at 50% loss
    assert all(entry[1:] == ("a", "b") for entry in medium.beyond_retries)
    b.heard.clear()
    for _ in range(400):
        medium.transmit(a, bytes([0x03, 0x08, 0x02]))   # MAC command, no ack requested (e.g. a beacon request)
    assert 100 < len(b.heard) < 300 and len(medium.beyond_retries) == unicast_lost


def test_a_retried_frame_is_never_overtaken_by_the_next_one_from_its_sender():
    clock, medium, a, b = half_lossy_pair()
    for seq in range(200):
        medium.transmit(a, bytes([0x21, 0x88, seq]))   # sent back to back, each retried as its tries are lost
    clock.advance(1.0)
    heard = [psdu[2] for psdu in b.heard]
    assert medium.stats.retried > 0 and len(heard) > 150
    assert heard == sorted(heard), "a later frame arrived before an earlier, retried one"
