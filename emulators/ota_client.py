"""A HAN device's OTA Upgrade client (ZCL cluster 0x0019) on its host half: it answers the CH's ImageNotify with
QueryNextImage, downloads the image block by block over the radio and feeds each block to its board over the board
link (`ota.begin` / `ota.block`), where it goes to a free flash slot. The board checks the finished image with its
own crypto (`ota.end`); the client then sends UpgradeEndRequest (SUCCESS or INVALID_IMAGE) and hands the server's
UpgradeEndResponse to the board (`ota.upgrade_end`), which activates nothing: only CS06 does.

Event-driven, as a Zigbee stack is: `on_message` takes the server's frames (with `own_radio` the client installs
itself as the radio's callback for the session; otherwise whoever owns the callback routes the OTA cluster here),
timers repeat a request whose answer was lost (after `RETRY` seconds, from the offset the board
holds), so radio loss and power cuts cost time, never octets. `run` starts a session and lets the run's clock
move until it ends.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zigbee import ota
from rig.boardlink import BoardLink
from rig.clock import Clock, Timer
from rig.radios.protocol import ApsMessage, DeliveryFailed, Message, Radio

OTA_ENDPOINT = 1
MAX_DATA = 48    # octets asked for per ImageBlockRequest (fits one 127-octet PSDU with NWK and APS security)
RETRY = 2.0      # seconds without an answer before a request is repeated
MAX_WAIT = 3600  # longest WAIT_FOR_DATA delay the client honours (seconds)
REAL_TIME_STEP = 0.05  # seconds slept between looks at a real-time session


@dataclass
class Download:
    """How a session went: `stage` is where it is or stopped ('notify', 'query', 'blocks', 'checked', 'ended')."""

    stage: str
    done: bool = False
    offered: ota.QueryNextImageResponse | None = None
    offset: int = 0
    blocks: int = 0
    retries: int = 0
    waits: int = 0
    receipt: dict | None = None
    end_response: ota.UpgradeEndResponse | None = None
    detail: str = ""


class OtaClientNode:
    def __init__(self, link: BoardLink, radio: Radio, clock: Clock, *, own_radio: bool = True):
        self.link = link
        self.radio = radio
        self.clock = clock
        self.own_radio = own_radio
        self.session: Download | None = None
        self.server: int | None = None
        self._tsn = 0
        self._pending: tuple[int, ota.Command, type] | None = None  # (tsn, request, the answer's type)
        self._timers: list[Timer] = []

    # ---- driving a session ------------------------------------------------------------------------------
    def start(self, server: int, *, timeout: float = 3600.0, wait_notify: bool = True) -> Download:
        """Begin a session with the server `server` (EUI-64): wait for ImageNotify, or query at once."""
        self.server = server
        self.session = Download("notify")
        if self.own_radio:
            self.radio.on_message(self.on_message)
        self._timers = [self.clock.call_at(self.clock.now() + timeout, lambda: self._finish("timed out"))]
        if not wait_notify:
            self._query()
        return self.session

    def run(self, server: int, *, timeout: float = 3600.0, wait_notify: bool = True) -> Download:
        """A whole session: start it, then let the clock move (timer by timer) until it ends."""
        session = self.start(server, timeout=timeout, wait_notify=wait_notify)
        next_due = getattr(self.clock, "next_due", None)  # a virtual clock jumps timer by timer
        while not session.done:
            if next_due is None:
                self.clock.advance(REAL_TIME_STEP)
                continue
            due = next_due()
            if due is None:
                self._finish("nothing left to wait for")
                break
            self.clock.advance_to(due)
        return session

    def _finish(self, detail: str = "") -> None:
        session = self.session
        if session is None or session.done:
            return
        session.done = True
        session.detail = session.detail or detail
        self._pending = None
        for timer in self._timers:
            timer.cancel()
        if self.own_radio:
            self.radio.on_message(None)

    # ---- requests ---------------------------------------------------------------------------------------
    def _send(self, request: ota.Command) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        try:
            self.radio.send_aps(self.server, ota.CLUSTER_ID, ota.encode(request, self._tsn), src_ep=OTA_ENDPOINT,
                                dst_ep=OTA_ENDPOINT, wait=False)
        except DeliveryFailed:
            pass  # no route or key yet: a request is asked again after RETRY
        return self._tsn

    def _ask(self, request: ota.Command, answer: type) -> None:
        """Send `request`, expecting `answer`; repeated every RETRY seconds until it comes."""
        tsn = self._send(request)
        self._pending = (tsn, request, answer)
        self._timers.append(self.clock.call_at(self.clock.now() + RETRY, lambda: self._retry(tsn)))

    def _retry(self, tsn: int) -> None:
        if self._pending is not None and self._pending[0] == tsn and not self.session.done:
            self.session.retries += 1
            self._ask(self._pending[1], self._pending[2])

    def _query(self) -> None:
        own = self.link.call("ota.status")
        self.session.stage = "query"
        self._ask(ota.QueryNextImageRequest(own["manufacturer"], own["image_type"], own["running"]["file_version"],
                                            own["hardware"]), ota.QueryNextImageResponse)

    def _request_block(self) -> None:
        o = self.session.offered
        self._ask(ota.ImageBlockRequest(o.manufacturer, o.image_type, o.file_version, self.session.offset, MAX_DATA),
                  ota.ImageBlockResponse)

    # ---- answers ----------------------------------------------------------------------------------------
    def on_message(self, message: Message) -> bool:
        """Take a frame from the radio; True when it was an OTA frame from our server."""
        if not isinstance(message, ApsMessage) or message.src != self.server or message.cluster != ota.CLUSTER_ID \
                or self.session is None or self.session.done:
            return False
        try:
            tsn, command = ota.decode(message.payload)
        except InputError:
            return True  # a malformed frame is dropped, as a device would
        if isinstance(command, ota.ImageNotify):
            if self.session.stage == "notify":
                self._query()
            return True
        if self._pending is None or tsn != self._pending[0] or not isinstance(command, self._pending[2]):
            return True  # a late answer to a request already repeated
        self._pending = None
        if isinstance(command, ota.QueryNextImageResponse):
            self._offered(command)
        elif isinstance(command, ota.ImageBlockResponse):
            self._block(command)
        elif isinstance(command, ota.UpgradeEndResponse):
            self.session.end_response = command
            self.session.stage = "ended"
            self.link.call("ota.upgrade_end", current_time=command.current_time, upgrade_time=command.upgrade_time)
            self._finish()
        return True

    def _offered(self, answer: ota.QueryNextImageResponse) -> None:
        self.session.offered = answer
        if answer.status != ota.SUCCESS:
            self._finish("no image offered")
            return
        self.session.stage = "blocks"
        self.session.offset = self.link.call("ota.begin", manufacturer=answer.manufacturer,
                                             image_type=answer.image_type, file_version=answer.file_version,
                                             total=answer.image_size)["offset"]
        self._next_block()

    def _block(self, answer: ota.ImageBlockResponse) -> None:
        session = self.session
        if answer.status == ota.WAIT_FOR_DATA:
            session.waits += 1
            delay = min(MAX_WAIT, max(1, answer.request_time - answer.current_time))
            self._timers.append(self.clock.call_at(self.clock.now() + delay, self._request_block))
            return
        if answer.status != ota.SUCCESS or answer.offset != session.offset or not answer.data:
            self._finish(f"server answered status 0x{answer.status:02X}")
            return
        session.offset = self.link.call("ota.block", offset=session.offset, hex=answer.data.hex())["offset"]
        session.blocks += 1
        self._next_block()

    def _next_block(self) -> None:
        session = self.session
        if session.offset < session.offered.image_size:
            self._request_block()
            return
        session.stage = "checked"
        session.receipt = self.link.call("ota.end")
        o = session.offered
        status = ota.SUCCESS if session.receipt["ok"] else ota.INVALID_IMAGE
        end = ota.UpgradeEndRequest(status, o.manufacturer, o.image_type, o.file_version)
        if status == ota.SUCCESS:
            self._ask(end, ota.UpgradeEndResponse)
        else:  # the server does not answer INVALID_IMAGE: sent once
            self._send(end)
            self._finish()
