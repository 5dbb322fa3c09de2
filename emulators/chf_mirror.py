"""The CH's side of the GSME's mirror (BAD 7.2.1.6.7; han-transport.md 2; codec harness.zigbee.mirror): a GSME that
has done CBKE asks for a mirror (RequestMirror); the CH answers with the mirror's endpoint (or 0xFFFF when it has no
GPF), takes the GSME's ConfigureMirror, and hands what the GSME reports to the mirror to the GPF's board, which keeps
the mirror and answers gas reads (GCS13a) from it.
"""
from __future__ import annotations

from typing import Callable

from harness.zigbee import mirror, zcl
from rig.boardlink import BoardLink
from rig.radios.protocol import ApsMessage, DeliveryFailed, Radio

MIRROR_ENDPOINT = 2  # [I] the rig's choice: the CH's first endpoint carries tunnels, the next one the mirror


class ChfMirror:
    def __init__(self, radio: Radio, next_tsn: Callable[[], int], gpf: BoardLink | None, log: Callable[[str], None]):
        self.radio = radio
        self.next_tsn = next_tsn
        self.gpf = gpf
        self.log = log
        self.owner: int | None = None                    # the GSME the mirror belongs to
        self.configured: mirror.ConfigureMirror | None = None

    def handles(self, message: ApsMessage) -> bool:
        """Take `message` when it is a mirror frame (a cluster-specific Metering command, or a Report Attributes to
        the mirror's endpoint); InputError when such a frame is malformed."""
        if message.cluster != mirror.CLUSTER:
            return False
        frame = zcl.decode(message.payload)
        if frame.frame_type == zcl.GLOBAL and frame.command != mirror.REPORT_ATTRIBUTES:
            return False  # the notification flags read (chf_tunnels)
        if not message.aps_secured:  # a mirror needs the CBKE link key
            self.log(f"dropped an APS-unsecured Metering frame from {message.src:016X}")
            return True
        _, command = mirror.decode(message.payload)
        if isinstance(command, mirror.RequestMirror):
            self._request(message)
        elif message.src != self.owner or message.dst_ep != MIRROR_ENDPOINT:
            self.log(f"dropped a mirror frame from {message.src:016X}, whose mirror this is not")
        elif isinstance(command, mirror.ConfigureMirror):
            self.configured = command
        elif isinstance(command, mirror.Report) and self.gpf is not None:
            self.gpf.call("mirror.update", eui=f"{message.src:016X}",
                          attrs={str(attr): value for attr, value in command.values.items()})
        return True

    def _request(self, message: ApsMessage) -> None:
        endpoint = mirror.NO_MIRROR
        if self.gpf is not None and self.owner in (None, message.src):
            self.owner, endpoint = message.src, MIRROR_ENDPOINT
        try:
            self.radio.send_aps(message.src, mirror.CLUSTER,
                                mirror.encode(self.next_tsn(), mirror.RequestMirrorResponse(endpoint)),
                                src_ep=MIRROR_ENDPOINT, dst_ep=message.src_ep, wait=False)
        except DeliveryFailed as exc:
            self.log(f"RequestMirrorResponse to {message.src:016X} not sent: {exc}")
