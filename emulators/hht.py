"""Host half of an emulated installer's Hand Held Terminal (HHT): finds Communications Hubs by their beacons (the
extended PAN ID is the CH's HAN EUI-64, printed on the hub), runs CBKE with the chosen CH over inter-PAN before the
HHT is on any HAN (BAD 7.2.2.6.3 b-c), delivers commands locally over inter-PAN (d, f), and, once it has added
itself to the CHF Device Log, joins the HAN like any device (e)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from emulators import local_delivery
from emulators.han_device import DEFECTS as DEVICE_DEFECTS
from emulators.han_device import HanDeviceEmulator
from harness.zse import ke_frames as kf
from rig.radios.protocol import BeaconInfo, InterPanMessage

SUITE2_BITMAP = 0x0002
SCAN_ATTEMPTS = 15  # active scans before the HHT reports that no hub answers
DEFECTS = dict(DEVICE_DEFECTS, accept_foreign_ca="continues key establishment (inter-PAN or on the HAN) with a CH "
                                                 "certificate from an untrusted issuer")


@dataclass(frozen=True)
class KeyOutcome:
    """How an inter-PAN key establishment ended: the shared link key, or why there is none."""

    established: bool
    detail: str = ""
    ke_status: int | None = None
    key: bytes | None = None


class HhtEmulator(HanDeviceEmulator):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.interpan_keys: dict[int, bytes] = {}
        self.beacons: dict[int, BeaconInfo] = {}
        self.radio.set_interpan(True)

    def connect(self, chf_eui: int, *, timeout: float = 30.0) -> KeyOutcome:
        """What the installer asks of the HHT: find the CH `chf_eui` (its HAN EUI-64 is the extended PAN ID of its
        beacon) and establish the inter-PAN key with it."""
        beacons = [b for b in self.discover() if b.extended_pan_id == chf_eui]
        if not beacons:
            return KeyOutcome(False, "no beacon whose extended PAN ID is the CH's HAN EUI-64")
        self.beacons[chf_eui] = beacons[0]
        return self.interpan_key_establishment(chf_eui, beacons[0], timeout=timeout)

    def discover(self, channels: Iterable[int] = range(11, 27)) -> list[BeaconInfo]:
        """Active scan, repeated while nothing answers (a beacon request or its beacon may be lost, and a real HHT
        scans again): the beacons heard (one per PAN and channel)."""
        channels = list(channels)
        for _ in range(SCAN_ATTEMPTS):
            beacons = self.radio.active_scan(channels)
            if beacons:
                return beacons
        return []

    def interpan_key_establishment(self, chf_eui: int, beacon: BeaconInfo, *, timeout: float = 30.0) -> KeyOutcome:
        """CBKE with the CH `chf_eui` over inter-PAN on the PAN and channel of `beacon`."""
        self.radio.set_channel(beacon.channel)

        def send(frame: bytes) -> None:
            self.radio.send_interpan(beacon.pan_id, chf_eui, kf.CLUSTER_ID, frame)

        def receive(wait: float) -> bytes | None:
            deadline = self.clock.now() + wait
            while self.clock.now() < deadline:
                message = self.radio.receive(timeout=deadline - self.clock.now())
                if isinstance(message, InterPanMessage) and message.src == chf_eui \
                        and message.cluster == kf.CLUSTER_ID:
                    return message.payload
            return None

        session = self._run_ke(chf_eui, SUITE2_BITMAP, timeout, send, receive)
        if session.key is None:
            status = None if session.status is None else int(session.status)
            return KeyOutcome(False, session.reason or "key establishment did not finish", status)
        self.radio.set_interpan_key(chf_eui, session.key)
        self.interpan_keys[chf_eui] = session.key
        self.link.call("log", text=f"inter-PAN CBKE with {chf_eui:016X} done")
        return KeyOutcome(True, "", None, session.key)

    def deliver_locally(self, chf_eui: int, command: bytes, *, beacon: BeaconInfo | None = None,
                        timeout: float = 10.0) -> bytes | None:
        """Hand a GBCS command to the CH over inter-PAN (on the PAN of `beacon`, by default the one `connect` found),
        secured with the inter-PAN CBKE key; its response, or None when the CH answers nothing within `timeout`
        (a refused command gets no response)."""
        beacon = beacon or self.beacons.get(chf_eui)
        if beacon is None:
            raise ValueError("no beacon of this CH: run connect first")
        key = self.interpan_keys.get(chf_eui)
        if key is None:
            raise ValueError("no inter-PAN key with this CH: run interpan_key_establishment first")
        tsn = self._next_tsn()
        self.radio.send_interpan(beacon.pan_id, chf_eui, local_delivery.TUNNELING_CLUSTER,
                                 local_delivery.wrap(tsn, command, to_server=True), link_key=key)
        deadline = self.clock.now() + timeout
        while self.clock.now() < deadline:
            message = self.radio.receive(timeout=deadline - self.clock.now())
            if isinstance(message, InterPanMessage) and message.src == chf_eui and message.aps_secured \
                    and message.cluster == local_delivery.TUNNELING_CLUSTER:
                reply_tsn, response = local_delivery.unwrap(message.payload, to_server=False)
                if reply_tsn == tsn:
                    return response
        return None
