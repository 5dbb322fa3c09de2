"""A joined HAN device's end of GBCS carriage over the Tunneling cluster (han-transport.md 1, 2).

ESME, HCALCS and PPMID are tunnel servers: the CHF finds their Tunneling server endpoint (ZDO Match_Desc) and
requests a GB-HGRP tunnel; commands arrive as TransferData, go to the board (which checks and runs them with its
own crypto) and the board's response goes back through the tunnel, as do the board's alerts.
The GSME is asleep most of the time: it is the tunnel client, asking the CHF for a tunnel once joined; each time it
wakes it reads the message-pending flag of its mirror on the CH and, while messages wait, pulls them with GET; each
comes back in a GET_RESPONSE, and what the board answers (and any alert) goes up in a PUT. Its mirror on the CH
(emulators.gsme_mirror) is asked for once its tunnel works and reported to at each wake-up.
"""
from __future__ import annotations

from typing import Callable

from emulators.gsme_mirror import GsmeMirror
from emulators.tunnel_carriage import Inbound, units
from harness.errors import InputError
from harness.zigbee import mirror, tunnel, zcl, zdo
from rig.boardlink import BoardLink
from rig.clock import Clock, Timer
from rig.radios.protocol import ApsMessage, DeliveryFailed, Message, Radio

TUNNEL_ENDPOINT = 1
MAX_TUNNELS = 2            # tunnel IDs a server hands out before answering No More Tunnel IDs
WAKE_INTERVAL = 30.0       # seconds between a sleepy GSME's wake-ups (the rig's choice; real GSMEs wake rarely)
RESPONSE_SETTLE = 5.0      # an APS retry window: a new tunnel carries alerts only after it, and alerts go that far apart


class DeviceTunnel:
    """Installed on the device's radio once it has joined: serves (or, sleepy, uses) the tunnel to `chf`."""

    def __init__(self, link: BoardLink, radio: Radio, clock: Clock, chf: int, *, sleepy: bool,
                 next_tsn: Callable[[], int], mirror_updates: bool = True):
        self.link = link
        self.radio = radio
        self.clock = clock
        self.chf = chf
        self.sleepy = sleepy
        self.next_tsn = next_tsn
        self.inbound = Inbound()
        self.tunnels: dict[int, int] = {}       # server side: tunnel id -> client EUI
        self.ready: set[int] = set()            # server side: tunnels the CHF has used or has had time to learn
        self.client_tunnel: int | None = None   # sleepy side: our tunnel on the CHF
        self.chf_endpoint = TUNNEL_ENDPOINT
        self.max_transfer = tunnel.MAX_TRANSFER
        self.refuse_next: list[int] = []       # stimulus: statuses (Busy, No More Tunnel IDs) for the next requests
        self.others: list[Callable[[Message], bool]] = []  # other clients on this radio (OTA): tried first
        self.requests: list[tuple[float, tunnel.RequestTunnel]] = []
        self.outbox: list[bytes] = []           # what the board sent up before a tunnel existed
        self._wake: Timer | None = None
        self._confirms: list[Timer] = []
        self._paced: Timer | None = None        # the next paced send of a held alert
        self._last_up = float("-inf")           # when the last alert went up
        self._next_id = 1
        self.mirror = GsmeMirror(link, self._metering, next_tsn, reporting_interval=int(WAKE_INTERVAL),
                                 updates=mirror_updates) if sleepy else None

    def start(self) -> None:
        while (queued := self.radio.receive(timeout=0)) is not None:  # what the CHF sent while we were joining
            self._on_message(queued)
        self.radio.on_message(self._on_message)
        if self.sleepy:
            self._send(tunnel.RequestTunnel())
            self._wake = self.clock.call_at(self.clock.now() + WAKE_INTERVAL, self.wake)

    def stop(self) -> None:
        self.radio.on_message(None)
        if self._wake is not None:
            self._wake.cancel()
        for timer in [*self._confirms, *([self._paced] if self._paced is not None else [])]:
            timer.cancel()

    # ------------------------------------------------------------------ upward (alerts)
    def send_up(self, message: bytes) -> None:
        """A message the board originated (an alert) towards the CHF; held until a tunnel exists, and sent one at a
        time, each once the one before has had its APS retries: the DCC takes originator counters only in order."""
        self.outbox.append(message)
        self._flush()

    def _flush(self) -> None:
        while self.outbox:
            wrap = self._up_route()
            if wrap is None:
                return
            now = self.clock.now()
            if now < self._last_up + RESPONSE_SETTLE:
                if self._paced is None:
                    self._paced = self.clock.call_at(self._last_up + RESPONSE_SETTLE, self._paced_flush)
                return
            self._last_up = now
            for unit in units(self.outbox.pop(0), self.max_transfer):
                self._send(wrap(unit))

    def _paced_flush(self) -> None:
        self._paced = None
        self._flush()

    def _up_route(self) -> Callable[[bytes], tunnel.TransferData] | None:
        """How a unit goes up now, or None while there is no tunnel the CHF can know."""
        if self.sleepy:
            tid = self.client_tunnel
            return None if tid is None else \
                (lambda unit: tunnel.TransferData(tid, tunnel.queue_header(tunnel.PUT, unit), True))
        # the tunnel the CHF requested last (it requests again every 0xFFFF s and stops reading the older ones), once
        # the CHF can know it: data sent on it before the RequestTunnelResponse arrives (lost and retried) is dropped
        tid = next((t for t, client in reversed(list(self.tunnels.items())) if client == self.chf), None)
        return None if tid not in self.ready else (lambda unit: tunnel.TransferData(tid, unit, False))

    # ------------------------------------------------------------------ sleepy GSME
    def wake(self) -> None:
        """Wake-up: read the mirror's notification flags; the answer drives the GETs."""
        self._wake = self.clock.call_at(self.clock.now() + WAKE_INTERVAL, self.wake)
        if self.client_tunnel is None:
            self._send(tunnel.RequestTunnel())
            return
        self._zcl(tunnel.METERING_CLUSTER, zcl.read_attributes(self.next_tsn(), [tunnel.ATTR_NOTIFICATION_FLAGS]))
        if self.mirror is not None:
            self.mirror.wake()

    # ------------------------------------------------------------------ radio
    def _on_message(self, message: Message) -> None:
        if any(other(message) for other in self.others):
            return
        if not isinstance(message, ApsMessage) or message.src != self.chf:
            return
        try:
            if message.profile == zdo.PROFILE_ZDO and message.cluster == zdo.MATCH_DESC_REQ:
                self._match_desc(message)
            elif not message.aps_secured:  # carriage needs the CBKE link key
                return
            elif message.cluster == tunnel.CLUSTER:
                _, command = tunnel.decode(message.payload)
                self._tunnel(command)
            elif message.cluster == tunnel.METERING_CLUSTER and self.mirror is not None \
                    and zcl.decode(message.payload).frame_type == zcl.CLUSTER_SPECIFIC:
                self.mirror.on_frame(message.payload)
            elif message.cluster == tunnel.METERING_CLUSTER and self.sleepy:
                self._flags(message)
        except InputError as exc:
            self.link.call("log", text=f"dropped a malformed frame from the CHF: {exc}")

    def _match_desc(self, message: ApsMessage) -> None:
        req = zdo.MatchDescReq.decode(message.payload)
        wanted = not self.sleepy and req.profile == tunnel.PROFILE_SE and tunnel.CLUSTER in req.in_clusters
        rsp = zdo.MatchDescRsp(req.tsn, zdo.SUCCESS, 0x0000, (TUNNEL_ENDPOINT,) if wanted else ())
        self.radio.send_aps(message.src, zdo.MATCH_DESC_RSP, rsp.encode(), profile=zdo.PROFILE_ZDO, src_ep=0,
                            dst_ep=0, aps_security=False, wait=False)

    def _tunnel(self, command: tunnel.Command) -> None:
        now = self.clock.now()
        if isinstance(command, tunnel.RequestTunnel) and not self.sleepy:
            self.requests.append((now, command))
            tid, status = self._allocate(command)
            self._send(tunnel.RequestTunnelResponse(tid, status))
            if status == tunnel.SUCCESS:
                self._confirms.append(self.clock.call_at(now + RESPONSE_SETTLE, lambda: self._confirm(tid)))
        elif isinstance(command, tunnel.CloseTunnel):
            self.tunnels.pop(command.tunnel_id, None)
            self.ready.discard(command.tunnel_id)
        elif isinstance(command, tunnel.RequestTunnelResponse) and self.sleepy:
            if command.status == tunnel.SUCCESS:
                self.client_tunnel, self.max_transfer = command.tunnel_id, command.max_transfer
                self._flush()
                if self.mirror is not None:
                    self.mirror.tunnel_up()
        elif isinstance(command, tunnel.TransferData):
            self._data(command)

    def _confirm(self, tid: int) -> None:
        """The CHF has used tunnel `tid`, or its RequestTunnelResponse has had every APS retry: alerts may go."""
        if tid in self.tunnels and tid not in self.ready:
            self.ready.add(tid)
            self._flush()

    def _allocate(self, request: tunnel.RequestTunnel) -> tuple[int, int]:
        """(tunnel id, status) for a RequestTunnel from the CHF."""
        if self.refuse_next:
            return 0xFFFF, self.refuse_next.pop(0)
        if request.protocol != tunnel.GB_HGRP:
            return 0xFFFF, tunnel.PROTOCOL_NOT_SUPPORTED
        if request.flow_control:
            return 0xFFFF, tunnel.FLOW_CONTROL_NOT_SUPPORTED
        if len(self.tunnels) >= MAX_TUNNELS:
            return 0xFFFF, tunnel.NO_MORE_TUNNEL_IDS
        tid = self._next_id
        self._next_id = (self._next_id % 0xFFFE) + 1
        self.tunnels[tid] = self.chf
        self.max_transfer = min(tunnel.MAX_TRANSFER, request.max_transfer)
        return tid, tunnel.SUCCESS

    def _data(self, command: tunnel.TransferData) -> None:
        if self.sleepy:
            if command.tunnel_id != self.client_tunnel:
                return
            kind, unit = tunnel.parse_queue(command.data)
            if kind != tunnel.GET_RESPONSE or not unit:
                return
            self._run(unit, lambda answer: tunnel.TransferData(
                command.tunnel_id, tunnel.queue_header(tunnel.PUT, answer), True))
            self._send(tunnel.TransferData(command.tunnel_id, tunnel.queue_header(tunnel.GET), True))
        elif command.tunnel_id in self.tunnels:
            self._confirm(command.tunnel_id)
            self._run(command.data, lambda answer: tunnel.TransferData(command.tunnel_id, answer, False))
        else:
            self._send(tunnel.TransferDataError(command.tunnel_id, tunnel.NO_SUCH_TUNNEL, False))

    def _run(self, unit: bytes, wrap: Callable[[bytes], tunnel.TransferData]) -> None:
        """A received unit: once a message is whole, the board checks and runs it; its response goes back."""
        message = self.inbound.add(unit)
        if message is None:
            return
        answer = self.link.call("gbcs.command", hex=message.hex())
        if answer.get("response"):
            for part in units(bytes.fromhex(answer["response"]), self.max_transfer):
                self._send(wrap(part))

    def _flags(self, message: ApsMessage) -> None:
        frame = zcl.decode(message.payload)
        if frame.command != zcl.READ_ATTRIBUTES_RESPONSE:
            return
        status, _, value = zcl.parse_read_attributes_response(frame.payload).get(
            tunnel.ATTR_NOTIFICATION_FLAGS, (None, None, b""))
        if status == zcl.STATUS_SUCCESS and int.from_bytes(value, "little") & tunnel.FLAG_MESSAGE_PENDING:
            self._send(tunnel.TransferData(self.client_tunnel, tunnel.queue_header(tunnel.GET), True))

    # ------------------------------------------------------------------ sending
    def _send(self, command: tunnel.Command) -> None:
        self._zcl(tunnel.CLUSTER, tunnel.encode(self.next_tsn(), command))

    def _metering(self, endpoint: int | None, frame: bytes) -> None:
        """A mirror frame to the CH: to the mirror's endpoint, or (None) the CH's carriage endpoint."""
        self._zcl(mirror.CLUSTER, frame, self.chf_endpoint if endpoint is None else endpoint)

    def _zcl(self, cluster: int, frame: bytes, endpoint: int | None = None) -> None:
        try:
            self.radio.send_aps(self.chf, cluster, frame, src_ep=TUNNEL_ENDPOINT,
                                dst_ep=self.chf_endpoint if endpoint is None else endpoint, wait=False)
        except DeliveryFailed as exc:  # no route or key any more (e.g. the CHF removed us): nothing to carry
            self.link.call("log", text=f"tunnel frame not sent: {exc}")
