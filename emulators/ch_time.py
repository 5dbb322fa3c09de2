"""A meter's host half reading its CH's time over the HAN (ZCL Time cluster, `harness.zigbee.time_cluster`) on joining
and then every `POLL` seconds, and telling its board whether the CH's time is valid (`ch.time {"valid"}`); the board
decides what it does with it (BAD 7.5.7.5.2: no valid time at the CH, the meter's clock is left unchanged)."""
from __future__ import annotations

from typing import Callable

from harness.errors import InputError
from harness.zigbee import time_cluster, zdo
from rig.boardlink import BoardLink
from rig.clock import Clock
from rig.radios.protocol import ApsMessage, DeliveryFailed, Message, Radio

POLL = 3600.0   # seconds between two reads of the CH's TimeStatus [I: SE leaves the period to the device]
ENDPOINT = 1


class ChTimeClient:
    def __init__(self, link: BoardLink, radio: Radio, clock: Clock, chf: int, next_tsn: Callable[[], int]):
        self.link = link
        self.radio = radio
        self.clock = clock
        self.chf = chf
        self.next_tsn = next_tsn
        self._timer = None

    def start(self) -> None:
        """Read the CH's TimeStatus now, and every POLL seconds until stopped."""
        self.stop()
        self._read()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _read(self) -> None:
        self._timer = self.clock.call_at(self.clock.now() + POLL, self._read)
        try:
            self.radio.send_aps(self.chf, time_cluster.CLUSTER, time_cluster.read_request(self.next_tsn()),
                                src_ep=ENDPOINT, dst_ep=ENDPOINT, aps_security=False, wait=False)
        except DeliveryFailed as exc:
            self.link.call("log", text=f"CH time not read: {exc}")

    def on_message(self, message: Message) -> bool:
        """The CH's answer (True); anything else is not ours (False)."""
        if not isinstance(message, ApsMessage) or message.cluster != time_cluster.CLUSTER \
                or message.profile == zdo.PROFILE_ZDO or message.src != self.chf:
            return False
        try:
            valid = time_cluster.valid_time(message.payload)
        except InputError as exc:
            self.link.call("log", text=f"dropped a malformed Time cluster frame from the CH: {exc}")
            return True
        if valid is not None:
            self.link.call("ch.time", valid=valid)
        return True
