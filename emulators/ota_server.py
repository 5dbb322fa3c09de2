"""The CHF's OTA Upgrade server (ZCL cluster 0x0019) on its host half: it buffers the image the DCC distributed
(SRV 11.1, BAD 7.5.3.6.2 C) and serves it to HAN devices over the radio: ImageNotify, QueryNextImage,
ImageBlock (WAIT_FOR_DATA while the image is not yet buffered, or to pace a device), UpgradeEnd.

It never tells a device to activate: every UpgradeEndResponse carries upgrade time 0xFFFFFFFF ("wait for another
UpgradeEndResponse"), which never comes, because in GB only CS06 activates firmware (BAD 7.5.3.6.3). A test may set
the stimulus `upgrade_now` to send "upgrade now" instead (what a CH must never do), to check a device ignores it. Each device's
UpgradeEndRequest is reported through `on_transfer` (the seam for the CCS08 Firmware Transfer Alert).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from harness.errors import InputError
from harness.ota.image import OtaHeader, parse_header
from harness.zigbee import ota
from rig.clock import Clock
from rig.radios.protocol import ApsMessage, Radio

OTA_ENDPOINT = 1
MAX_BLOCK = 48  # octets of image data per ImageBlockResponse: the largest that keeps the PSDU within 127 octets
# UpgradeEndRequest status -> CCS08 responseCode (0 success, 1 image discarded, 3 file transfer failure)
TRANSFER_CODES = {ota.SUCCESS: 0, ota.INVALID_IMAGE: 1, None: 3}


@dataclass
class Transfer:
    """What one device did with the image."""

    blocks: int = 0
    waits: int = 0
    octets: int = 0
    end_status: int | None = None
    end_time: float | None = None
    log: list[tuple[float, str]] = field(default_factory=list)


class OtaServer:
    """`on_transfer(eui, status, header)` is called on each UpgradeEndRequest."""

    def __init__(self, radio: Radio, clock: Clock):
        self.radio = radio
        self.clock = clock
        self.image: bytes | None = None
        self.header: OtaHeader | None = None
        self.available_from: float = 0.0
        self.transfers: dict[int, Transfer] = {}
        self.on_transfer: Callable[[int, int, OtaHeader], None] | None = None
        self.upgrade_now = False  # stimulus only: see the module docstring
        self._tsn = 0

    def load(self, image: bytes, *, buffering: float = 0.0) -> None:
        """Buffer `image` (the CH received it from the DCC); blocks are served `buffering` seconds from now."""
        self.header = parse_header(image)
        self.image = bytes(image)
        self.available_from = self.clock.now() + buffering

    def distribute(self, image: bytes, devices: list[int], *, buffering: float = 0.0) -> bool:
        """The DCC hands the CH an image for `devices`: buffer it and notify each; True = acknowledged (a
        malformed image is not acknowledged)."""
        try:
            self.load(image, buffering=buffering)
        except InputError:
            return False
        for device in devices:
            self.notify(device)
        return True

    def notify(self, device: int, dst_ep: int = OTA_ENDPOINT) -> None:
        """ImageNotify to one device (unicast, jitter 100) naming the buffered image."""
        h = self._need_image()
        self._send(device, dst_ep, ota.ImageNotify(ota.WITH_FILE_VERSION, 100, h.manufacturer, h.image_type,
                                                   h.file_version), None)

    def _need_image(self) -> OtaHeader:
        if self.header is None:
            raise RuntimeError("no image buffered")
        return self.header

    def _send(self, device: int, dst_ep: int, command: ota.Command, tsn: int | None) -> None:
        if tsn is None:
            self._tsn = (self._tsn + 1) & 0xFF
            tsn = self._tsn
        self.radio.send_aps(device, ota.CLUSTER_ID, ota.encode(command, tsn), src_ep=OTA_ENDPOINT, dst_ep=dst_ep,
                            wait=False)

    def on_message(self, message: ApsMessage) -> None:
        """A ZCL OTA frame from a device (raises InputError when malformed; the CHF drops it)."""
        if not message.aps_secured:
            raise InputError("OTA request without APS security", field="aps.security")
        tsn, request = ota.decode(message.payload)
        transfer = self.transfers.setdefault(message.src, Transfer())
        transfer.log.append((self.clock.now(), type(request).__name__))
        answer: ota.Command | None = None
        h = self.header
        if isinstance(request, ota.QueryNextImageRequest):
            offered = h is not None and (request.manufacturer, request.image_type) == (h.manufacturer, h.image_type) \
                and request.file_version != h.file_version and self._hardware_ok(request.hardware_version)
            answer = ota.QueryNextImageResponse(ota.SUCCESS, h.manufacturer, h.image_type, h.file_version,
                                                h.total_size) if offered \
                else ota.QueryNextImageResponse(ota.NO_IMAGE_AVAILABLE)
        elif isinstance(request, ota.ImageBlockRequest):
            answer = self._block(request, transfer)
        elif isinstance(request, ota.UpgradeEndRequest):
            transfer.end_status, transfer.end_time = request.status, self.clock.now()
            if self.on_transfer is not None and h is not None:
                self.on_transfer(message.src, request.status, h)
            if request.status == ota.SUCCESS:
                now = int(self.clock.now()) & 0xFFFFFFFF
                answer = ota.UpgradeEndResponse(request.manufacturer, request.image_type, request.file_version,
                                                now, now if self.upgrade_now else ota.UPGRADE_LATER)
        if answer is not None:
            self._send(message.src, message.src_ep, answer, tsn)

    def _hardware_ok(self, hardware: int | None) -> bool:
        h = self.header
        return hardware is None or h.hardware_min is None or h.hardware_min <= hardware <= h.hardware_max

    def _block(self, request: ota.ImageBlockRequest, transfer: Transfer) -> ota.ImageBlockResponse:
        h = self.header
        if h is None or (request.manufacturer, request.image_type, request.file_version) != \
                (h.manufacturer, h.image_type, h.file_version) or request.offset >= h.total_size:
            return ota.ImageBlockResponse(ota.ABORT)
        now = self.clock.now()
        if now < self.available_from:
            transfer.waits += 1
            return ota.ImageBlockResponse(ota.WAIT_FOR_DATA, current_time=int(now) & 0xFFFFFFFF,
                                          request_time=int(self.available_from + 0.999) & 0xFFFFFFFF)
        data = self.image[request.offset:request.offset + min(request.max_data_size, MAX_BLOCK)]
        transfer.blocks += 1
        transfer.octets += len(data)
        return ota.ImageBlockResponse(ota.SUCCESS, h.manufacturer, h.image_type, h.file_version, request.offset, data)
