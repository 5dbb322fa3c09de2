"""The sleepy GSME's side of its mirror on the CH (BAD 7.2.1.6.7; han-transport.md 2; codec harness.zigbee.mirror).

Once its tunnel to the CHF works (CBKE done) the GSME asks the CH for a mirror (RequestMirror), configures the
mirror the CH gives it (ConfigureMirror: report at each wake-up) and reports its consumption register to it
(Report Attributes), then again at every wake-up, so gas reads can be answered by the GPF while it sleeps. Until the
CH names a mirror endpoint it asks again at each wake-up.
"""
from __future__ import annotations

from typing import Callable

from harness.errors import InputError
from harness.zigbee import mirror
from rig.boardlink import BoardLink

ISSUER_EVENT_ID = 1
NOTIFICATION_SCHEME = 0x01  # [I] "predefined notification scheme A"; the rig's CH reads the flags itself


class GsmeMirror:
    def __init__(self, link: BoardLink, send: Callable[[int | None, bytes], None], next_tsn: Callable[[], int], *,
                 reporting_interval: int, updates: bool = True):
        """`send(endpoint, frame)`: a Metering frame to the CH (None: the CH's carriage endpoint). `updates` False is
        the defect of a GSME that fills its mirror once and never updates it."""
        self.link = link
        self.send = send
        self.next_tsn = next_tsn
        self.reporting_interval = reporting_interval
        self.updates = updates
        self.endpoint: int | None = None
        self.reports = 0

    def tunnel_up(self) -> None:
        """The tunnel to the CHF works (CBKE is done): ask for the mirror if there is none yet."""
        if self.endpoint is None:
            self.send(None, mirror.encode(self.next_tsn(), mirror.RequestMirror()))

    def wake(self) -> None:
        if self.endpoint is None:
            self.tunnel_up()
        elif self.updates or not self.reports:
            self.report()

    def on_frame(self, payload: bytes) -> None:
        """A Metering cluster-specific frame from the CH (its RequestMirrorResponse)."""
        try:
            _, command = mirror.decode(payload)
        except InputError as exc:
            self.link.call("log", text=f"dropped a malformed Metering frame from the CH: {exc}")
            return
        if not isinstance(command, mirror.RequestMirrorResponse) or self.endpoint is not None:
            return
        if command.endpoint == mirror.NO_MIRROR:
            self.link.call("log", text="the CH has no mirror for this GSME")
            return
        self.endpoint = command.endpoint
        self.send(self.endpoint, mirror.encode(self.next_tsn(), mirror.ConfigureMirror(
            ISSUER_EVENT_ID, self.reporting_interval, True, NOTIFICATION_SCHEME)))
        self.report()

    def report(self) -> None:
        """The consumption register, as the board reads it, to the mirror."""
        attrs = self.link.call("meter.register")["attrs"]
        values = {int(attr): int(value) for attr, value in attrs.items() if int(attr) in mirror.TYPES}
        self.send(self.endpoint, mirror.encode(self.next_tsn(), mirror.Report(values)))
        self.reports += 1
