"""A HAN device's OTA Upgrade client (ZCL cluster 0x0019) on its host half: it answers the CH's ImageNotify with
QueryNextImage, downloads the image block by block over the radio and feeds each block to its board over the board
link (`ota.begin` / `ota.block`), where it goes to a free flash slot. The board checks the finished image with its
own crypto (`ota.end`); the client then sends UpgradeEndRequest (SUCCESS or INVALID_IMAGE) and hands the server's
UpgradeEndResponse to the board (`ota.upgrade_end`), which activates nothing: only CS06 does.

A lost request or response is asked for again after `RETRY` seconds, from the offset the board holds, so radio loss
and power cuts cost time, never octets. Runs on the caller's thread on the run's clock, like the join.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zigbee import ota
from rig.boardlink import BoardLink
from rig.clock import Clock
from rig.radios.protocol import ApsMessage, DeliveryFailed, Radio

OTA_ENDPOINT = 1
MAX_DATA = 48    # octets asked for per ImageBlockRequest (fits one 127-octet PSDU with NWK and APS security)
RETRY = 2.0      # seconds without an answer before a request is repeated
MAX_WAIT = 3600  # longest WAIT_FOR_DATA delay the client honours (seconds)


@dataclass
class Download:
    """How a download went: `stage` is where it stopped ('notify', 'query', 'blocks', 'checked', 'ended')."""

    stage: str
    offered: ota.QueryNextImageResponse | None = None
    offset: int = 0
    blocks: int = 0
    retries: int = 0
    waits: int = 0
    receipt: dict | None = None
    end_response: ota.UpgradeEndResponse | None = None
    detail: str = ""


class OtaClientNode:
    def __init__(self, link: BoardLink, radio: Radio, clock: Clock):
        self.link = link
        self.radio = radio
        self.clock = clock
        self._tsn = 0

    def _send(self, server: int, command: ota.Command) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        try:
            self.radio.send_aps(server, ota.CLUSTER_ID, ota.encode(command, self._tsn), src_ep=OTA_ENDPOINT,
                                dst_ep=OTA_ENDPOINT, wait=False)
        except DeliveryFailed:
            pass  # no route or key yet: asked again after RETRY
        return self._tsn

    def _await(self, server: int, kind: type, tsn: int | None, wait: float) -> ota.Command | None:
        """The next OTA command of `kind` from `server` (answering `tsn` when given) within `wait` seconds."""
        deadline = self.clock.now() + wait
        while self.clock.now() < deadline:
            message = self.radio.receive(timeout=deadline - self.clock.now())
            if not isinstance(message, ApsMessage) or message.src != server or message.cluster != ota.CLUSTER_ID:
                continue
            try:
                got_tsn, command = ota.decode(message.payload)
            except InputError:
                continue  # a malformed frame is dropped, as a device would
            if isinstance(command, kind) and (tsn is None or got_tsn == tsn):
                return command
        return None

    def _ask(self, server: int, request: ota.Command, kind: type, deadline: float, result: Download):
        """Send `request` until its answer of `kind` arrives or `deadline` passes."""
        while self.clock.now() < deadline:
            tsn = self._send(server, request)
            answer = self._await(server, kind, tsn, min(RETRY, deadline - self.clock.now()))
            if answer is not None:
                return answer
            result.retries += 1
        return None

    def run(self, server: int, *, timeout: float = 3600.0, wait_notify: bool = True) -> Download:
        """One OTA session with the server `server` (EUI-64): notify (optional), query, download, check, end."""
        deadline = self.clock.now() + timeout
        if wait_notify and self._await(server, ota.ImageNotify, None, timeout) is None:
            return Download("notify", detail="no ImageNotify from the server")
        own = self.link.call("ota.status")
        result = Download("query")
        offered = self._ask(server, ota.QueryNextImageRequest(own["manufacturer"], own["image_type"],
                                                              own["running"]["file_version"], own["hardware"]),
                            ota.QueryNextImageResponse, deadline, result)
        result.offered = offered
        if offered is None or offered.status != ota.SUCCESS:
            result.detail = "no image offered" if offered else "no QueryNextImageResponse"
            return result
        result.stage = "blocks"
        offset = self.link.call("ota.begin", manufacturer=offered.manufacturer, image_type=offered.image_type,
                                file_version=offered.file_version, total=offered.image_size)["offset"]
        while offset < offered.image_size:
            request = ota.ImageBlockRequest(offered.manufacturer, offered.image_type, offered.file_version, offset,
                                            MAX_DATA)
            answer = self._ask(server, request, ota.ImageBlockResponse, deadline, result)
            if answer is None:
                result.offset, result.detail = offset, "no ImageBlockResponse before the deadline"
                return result
            if answer.status == ota.WAIT_FOR_DATA:
                result.waits += 1
                self.clock.advance(min(MAX_WAIT, max(1, answer.request_time - answer.current_time)))
                continue
            if answer.status != ota.SUCCESS or answer.offset != offset or not answer.data:
                result.offset, result.detail = offset, f"server answered status 0x{answer.status:02X}"
                return result
            offset = self.link.call("ota.block", offset=offset, hex=answer.data.hex())["offset"]
            result.blocks += 1
        result.offset = offset
        result.stage = "checked"
        result.receipt = self.link.call("ota.end")
        status = ota.SUCCESS if result.receipt["ok"] else ota.INVALID_IMAGE
        end = ota.UpgradeEndRequest(status, offered.manufacturer, offered.image_type, offered.file_version)
        if status != ota.SUCCESS:
            self._send(server, end)
            return result
        result.end_response = self._ask(server, end, ota.UpgradeEndResponse, deadline, result)
        if result.end_response is not None:
            result.stage = "ended"
            self.link.call("ota.upgrade_end", current_time=result.end_response.current_time,
                           upgrade_time=result.end_response.upgrade_time)
        return result
