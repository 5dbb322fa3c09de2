"""A simulated 802.15.4 medium: channels, per-link loss, latency and corruption, deterministic for a seed.

Every transmission is written to the capture (as sent, with the sender's virtual time) and delivered to every other
node on the same channel as a PSDU with FCS, at `now + latency` via the clock's `call_at` (zero latency delivers
at once). Loss drops a delivery; corruption flips one bit (the receiver then sees a bad FCS). All random draws come
from one `random.Random(seed)` in a fixed order, so a run with the same seed and the same calls is identical.

The MAC's acknowledged retransmission is modelled here, as a radio does it in hardware: a frame that requests an
acknowledgement (unicast) is tried up to 1 + `MAC_RETRIES` times per receiver, each try lost with the link's loss
probability, and arrives once, `MAC_RETRY_INTERVAL` later per lost try, unless every try is lost. (The capture
holds the frame once; the retries are not written to it.) A delivery lost through every retry is recorded in
`beyond_retries` (time, sender, receiver): the bench's evidence that its channel lost a frame no retry covered.
Broadcasts (beacon requests, beacons) get one try: the layers above retry them. Deliveries from one sender to one
receiver keep the order they were sent in (a MAC sends its next frame only once the last one's retries are over), so
a retried frame is never overtaken by the next (a Transport Key by the Association Response before it).
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Protocol

from harness.zigbee.mac import fcs

MAC_RETRIES = 3              # macMaxFrameRetries (IEEE 802.15.4 default)
MAC_RETRY_INTERVAL = 0.001   # seconds a retry adds: the ack wait (54 symbols, 0.864 ms) and turnaround
ACK_REQUEST = 0x20           # frame control bit 5 of the MPDU's first octet


@dataclass(frozen=True)
class Impairments:
    loss: float = 0.0          # probability a delivery is dropped
    latency: float = 0.002     # seconds from transmission to delivery
    jitter: float = 0.0        # extra uniform [0, jitter) seconds
    corruption: float = 0.0    # probability one bit of a delivery is flipped

    def __post_init__(self) -> None:
        for name in ("loss", "corruption"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a probability")
        if self.latency < 0 or self.jitter < 0:
            raise ValueError("latency and jitter must be >= 0")


class Node(Protocol):
    """What the medium needs of an attached radio."""
    name: str
    channel: int

    def on_psdu(self, psdu: bytes) -> None: ...


class FrameSink(Protocol):
    def frame(self, timestamp: float, mpdu: bytes) -> None: ...


class ScheduledClock(Protocol):
    def now(self) -> float: ...
    def call_at(self, when: float, callback): ...
    def next_due(self) -> float | None: ...
    def advance_to(self, when: float) -> None: ...


@dataclass
class MediumStats:
    transmitted: int = 0
    delivered: int = 0
    lost: int = 0
    retried: int = 0       # tries lost and covered by a MAC retry
    corrupted: int = 0


class Medium:
    """Connects simulated radios. `capture` (a `harness.capture.capture.Capture` or any frame sink) is optional."""

    def __init__(self, clock: ScheduledClock, seed: int = 0, impairments: Impairments | None = None,
                 capture: FrameSink | None = None):
        self.clock = clock
        self.capture = capture
        self.default = impairments or Impairments()
        self.stats = MediumStats()
        self._links: dict[tuple[str, str], Impairments] = {}
        self._nodes: list[Node] = []
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self.beyond_retries: list[tuple[float, str, str]] = []
        self._last_delivery: dict[tuple[str, str], float] = {}   # (sender, receiver) -> when its last frame arrives

    def attach(self, node: Node) -> None:
        if any(n.name == node.name for n in self._nodes):
            raise ValueError(f"a node named {node.name!r} is already attached")
        self._nodes.append(node)

    def detach(self, node: Node) -> None:
        self._nodes = [n for n in self._nodes if n is not node]

    def set_link(self, sender: str, receiver: str, impairments: Impairments) -> None:
        """Impairments for frames from node `sender` to node `receiver` (overrides the default)."""
        self._links[(sender, receiver)] = impairments

    def set_default(self, impairments: Impairments) -> None:
        self.default = impairments

    def transmit(self, sender: Node, mpdu: bytes) -> None:
        """Send an MPDU (without FCS) from `sender` on its channel."""
        with self._lock:
            now = self.clock.now()
            self.stats.transmitted += 1
            if self.capture is not None:
                self.capture.frame(now, mpdu)
            psdu = mpdu + fcs(mpdu)
            tries = 1 + MAC_RETRIES if mpdu and mpdu[0] & ACK_REQUEST else 1
            for node in list(self._nodes):
                if node is sender or node.channel != sender.channel:
                    continue
                imp = self._links.get((sender.name, node.name), self.default)
                lost = 0
                while lost < tries and self._rng.random() < imp.loss:
                    lost += 1
                corrupt = self._rng.random() < imp.corruption
                bit = self._rng.randrange(len(psdu) * 8)
                delay = imp.latency + (self._rng.random() * imp.jitter if imp.jitter else 0.0)
                if lost == tries:
                    self.stats.lost += 1
                    if tries > 1:
                        self.beyond_retries.append((now, sender.name, node.name))
                    continue
                self.stats.retried += lost
                delay += lost * MAC_RETRY_INTERVAL
                data = psdu
                if corrupt:
                    self.stats.corrupted += 1
                    flipped = bytearray(psdu)
                    flipped[bit // 8] ^= 1 << (bit % 8)
                    data = bytes(flipped)
                when = max(now + delay, self._last_delivery.get((sender.name, node.name), now))
                self._last_delivery[(sender.name, node.name)] = when
                self._schedule(node, data, when, sender.channel)

    def _schedule(self, node: Node, psdu: bytes, when: float, channel: int) -> None:
        def deliver() -> None:
            if node in self._nodes and node.channel == channel:
                self.stats.delivered += 1
                node.on_psdu(psdu)
        if when <= self.clock.now():
            deliver()
        else:
            self.clock.call_at(when, deliver)

    def wait_until(self, done, timeout: float) -> bool:
        """Advance the virtual clock timer by timer until `done()` or `timeout` seconds have passed."""
        deadline = self.clock.now() + timeout
        while not done():
            due = self.clock.next_due()
            if due is None or due > deadline:
                if self.clock.now() < deadline:
                    self.clock.advance_to(deadline)
                return bool(done())
            self.clock.advance_to(due)
        return True
