"""A sniffer: an EZSP NCP in packet-capture receive mode (UG100 mfglib: mfglibStart with rxCallback, then
mfglibSetChannel), writing every frame it hears into a capture (`frame(timestamp, mpdu)`, e.g. a test's
`harness.capture.capture.Capture`) with the run's clock.

Each mfglibRxHandler carries the MPDU followed by two octets that are not its FCS; they are cut. Frames arrive on
bellows' thread and are written there under a lock (the capture has no other writer in real time: the simulated
medium then carries nothing).
"""
from __future__ import annotations

import threading
from typing import Any

from bellows.ezsp import EZSP

from harness.errors import BenchFault, RadioFault
from rig.radios.ezsp import _LoopThread, _ok, device_config

TRAILER = 2          # octets after the MPDU in mfglibRxHandler's packetContents (where the FCS was; not an FCS)


class EzspSniffer:
    """The NCP at `port` capturing on `channel` into `sink` until `close()`; `clock.now()` stamps each frame."""

    def __init__(self, port: str, channel: int, sink: Any, clock: Any, *, baudrate: int = 115200,
                 flow_control: str | None = None, timeout: float = 15.0):
        self.port, self.channel, self.sink, self.clock = port, channel, sink, clock
        self.frames = 0
        self.drops: list[str] = []
        self.lost: BaseException | None = None
        self._lock = threading.Lock()
        self._open = False
        self._loop = _LoopThread()
        self._ezsp = EZSP(device_config(port, baudrate, flow_control), application=self)
        try:
            self._loop.run(self._start(), timeout, f"starting packet capture on {port}")
        except Exception:
            self._loop.stop()
            raise

    async def _start(self) -> None:
        await self._ezsp.connect(use_thread=False)
        self._ezsp.add_callback(self._callback)
        for name, *args in (("mfglibStart", True), ("mfglibSetChannel", self.channel)):
            (status,) = await getattr(self._ezsp, name)(*args)
            if not _ok(status):
                raise RadioFault(f"EZSP sniffer on {self.port}: {name} returned {status!r}")
        self._open = True

    def connection_lost(self, exc: BaseException) -> None:
        """bellows: the NCP reset or the port closed; frames after this are not captured."""
        self.lost = exc

    def _callback(self, name: str, args: list) -> None:
        if name != "mfglibRxHandler":
            return
        packet = bytes(args[-1])
        if len(packet) < 3 + TRAILER:
            self.drops.append(f"a {len(packet)}-octet packet is too short for an 802.15.4 frame")
            return
        with self._lock:
            if self._open:
                self.sink.frame(self.clock.now(), packet[:-TRAILER])
                self.frames += 1

    def check(self) -> None:
        """A BenchFault when the sniffer lost its NCP (the capture would be missing frames)."""
        if self.lost is not None:
            raise BenchFault(f"sniffer on {self.port}: the NCP reset or its port closed ({self.lost!r}); "
                             "the capture misses what followed")

    def close(self) -> None:
        """Stop writing, leave packet-capture mode and let the port go."""
        with self._lock:
            self._open = False
        try:
            self._loop.run(self._stop(), 5.0, f"stopping packet capture on {self.port}")
        finally:
            self._loop.stop()

    async def _stop(self) -> None:
        try:
            if self.lost is None:
                await self._ezsp.mfglibEnd()
        finally:
            await self._ezsp.disconnect()
