"""The CHF's side of GBCS carriage over the HAN (GBCS 10.2.2, han-transport.md 1-3).

Towards an ESME, HCALCS or PPMID the CHF is the tunnel client: once CBKE with the device is done it finds the
device's Tunneling server endpoint (ZDO Match_Desc) and sends RequestTunnel (GB-HGRP, manufacturer 0xFFFF, no flow
control, 1500 octets). It requests again 0xFFFF seconds after the last RequestTunnelResponse, when a message
arrives and no tunnel works, and at power-on. Busy: retry three minutes later. No More Tunnel IDs: close every
tunnel ID it has had with that device, then request again.
Towards the sleepy GSME the CHF is the server: messages wait in a queue (24 h lifetime) with the message-pending
flag set on the GSME's mirror; the GSME pulls them with GET and sends its answers and alerts with PUT.
What a device sends up (responses, alerts) goes to `deliver_up`, whole (GBT blocks reassembled).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from emulators.tunnel_carriage import Inbound, units
from harness.zigbee import tunnel, zcl, zdo
from rig.clock import Clock, Timer
from rig.radios.protocol import ApsMessage, DeliveryFailed, Radio

CHF_ENDPOINT = 1
BUSY_RETRY = 180.0              # seconds: "the CHF retries three minutes later"
REFRESH = float(0xFFFF)         # seconds after the last RequestTunnelResponse
CLOSE_SETTLE = 5.0              # seconds between closing stale tunnel IDs and requesting again
QUEUE_LIFETIME = 24 * 3600.0    # seconds a queued message waits for the sleepy GSME [R: reference default]
BITMAP32 = 0x1B


@dataclass
class Peer:
    """One device the CHF carries GBCS to (as tunnel client)."""

    eui: int
    endpoint: int | None = None
    tunnel_id: int | None = None
    max_transfer: int = tunnel.MAX_TRANSFER
    had_ids: set[int] = field(default_factory=set)
    pending: list[bytes] = field(default_factory=list)
    timer: Timer | None = None
    busy_until: float = 0.0   # after a Busy answer, no request before this time


class ChfTunnels:
    def __init__(self, radio: Radio, clock: Clock, next_tsn: Callable[[], int], deliver_up: Callable[[bytes], None],
                 log: Callable[[str], None]):
        self.radio = radio
        self.clock = clock
        self.next_tsn = next_tsn
        self.deliver_up = deliver_up
        self.log = log
        self.peers: dict[int, Peer] = {}
        self.queues: dict[int, deque[tuple[float, bytes]]] = {}
        self.served: dict[int, int] = {}       # tunnel id -> sleepy client EUI
        self.inbound: dict[int, Inbound] = {}
        self._next_id = 1
        self._later: list = []  # timers of open_later, cancelled with the session

    # ------------------------------------------------------------------ client side (ESME, HCALCS, PPMID)
    def open_later(self, eui: int, delay: float) -> None:
        """Request a tunnel to `eui` after `delay` seconds, unless the session is closed first."""
        self._later.append(self.clock.call_at(self.clock.now() + delay, lambda: self.open(eui)))

    def open(self, eui: int) -> None:
        """Request a tunnel to `eui` (after CBKE, at power-on, or when a message finds none working)."""
        peer = self.peers.setdefault(eui, Peer(eui))
        if peer.timer is not None:
            peer.timer.cancel()
            peer.timer = None
        if peer.endpoint is None:
            request = zdo.MatchDescReq(self.next_tsn(), 0x0000, tunnel.PROFILE_SE, (tunnel.CLUSTER,))
            self._aps(eui, zdo.MATCH_DESC_REQ, request.encode(), profile=zdo.PROFILE_ZDO, src_ep=0, dst_ep=0,
                      aps_security=False)
        else:
            self._command(eui, peer.endpoint, tunnel.RequestTunnel())

    def power_on(self) -> None:
        """The CH powered on: no tunnel is assumed to work; each known device gets a new request."""
        for peer in self.peers.values():
            peer.tunnel_id = None
            self.open(peer.eui)

    def close(self) -> None:
        """Cancel every pending request timer (the session is over)."""
        for timer in self._later:
            timer.cancel()
        for peer in self.peers.values():
            if peer.timer is not None:
                peer.timer.cancel()

    def forget(self, eui: int) -> None:
        peer = self.peers.pop(eui, None)
        if peer is not None and peer.timer is not None:
            peer.timer.cancel()
        self.queues.pop(eui, None)

    def send(self, eui: int, message: bytes, *, sleepy: bool) -> None:
        """Carry `message` to `eui`: through its tunnel, or into the sleepy device's queue."""
        if sleepy:
            queue = self.queues.setdefault(eui, deque())
            for unit in units(message, tunnel.MAX_TRANSFER - 1):
                queue.append((self.clock.now() + QUEUE_LIFETIME, unit))
            return
        peer = self.peers.setdefault(eui, Peer(eui))
        if peer.tunnel_id is None or peer.endpoint is None:
            peer.pending.append(message)
            if self.clock.now() >= peer.busy_until:  # after Busy the retry timer asks again, not the message
                self.open(eui)
            return
        for unit in units(message, peer.max_transfer):
            self._command(eui, peer.endpoint, tunnel.TransferData(peer.tunnel_id, unit, True))

    def message_pending(self, eui: int) -> bool:
        queue = self.queues.get(eui)
        while queue and queue[0][0] < self.clock.now():
            queue.popleft()
        return bool(queue)

    # ------------------------------------------------------------------ radio
    def handles(self, message: ApsMessage) -> bool:
        """Take `message` when it belongs to carriage (Match_Desc_rsp, Tunneling, the mirror's flags)."""
        if message.profile == zdo.PROFILE_ZDO and message.cluster == zdo.MATCH_DESC_RSP:
            peer = self.peers.get(message.src)
            if peer is None:
                return False
            endpoints = zdo.MatchDescRsp.decode(message.payload).endpoints
            if endpoints:
                peer.endpoint = endpoints[0]
                self._command(peer.eui, peer.endpoint, tunnel.RequestTunnel())
            else:
                self.log(f"{peer.eui:016X} has no Tunneling server endpoint")
            return True
        if message.cluster not in (tunnel.CLUSTER, tunnel.METERING_CLUSTER):
            return False
        if not message.aps_secured:  # carriage needs the CBKE link key
            self.log(f"dropped an APS-unsecured cluster 0x{message.cluster:04X} frame from {message.src:016X}")
        elif message.cluster == tunnel.CLUSTER:
            self._tunnel(message, tunnel.decode(message.payload)[1])
        elif zcl.decode(message.payload).frame_type == zcl.GLOBAL:
            self._flags(message)
        return True

    def _tunnel(self, message: ApsMessage, command: tunnel.Command) -> None:
        eui = message.src
        if isinstance(command, tunnel.RequestTunnelResponse):
            self._response(eui, command)
        elif isinstance(command, tunnel.TransferData) and not command.to_server:
            peer = self.peers.get(eui)
            if peer is not None and command.tunnel_id == peer.tunnel_id:
                self._up(eui, command.data)
        elif isinstance(command, tunnel.RequestTunnel):
            self._serve(message, command)
        elif isinstance(command, tunnel.TransferData) and command.to_server:
            if self.served.get(command.tunnel_id) != eui:
                self._command(eui, message.src_ep, tunnel.TransferDataError(command.tunnel_id,
                                                                            tunnel.NO_SUCH_TUNNEL, False))
                return
            kind, unit = tunnel.parse_queue(command.data)
            if kind == tunnel.GET:
                queue = self.queues.get(eui)
                unit = queue.popleft()[1] if self.message_pending(eui) and queue else b""
                self._command(eui, message.src_ep, tunnel.TransferData(
                    command.tunnel_id, tunnel.queue_header(tunnel.GET_RESPONSE, unit), False))
            elif kind == tunnel.PUT and unit:
                self._up(eui, unit)
        elif isinstance(command, tunnel.CloseTunnel):
            self.served.pop(command.tunnel_id, None)

    def _response(self, eui: int, rsp: tunnel.RequestTunnelResponse) -> None:
        peer = self.peers.get(eui)
        if peer is None:
            return
        now = self.clock.now()
        if rsp.status == tunnel.SUCCESS:
            peer.tunnel_id, peer.max_transfer = rsp.tunnel_id, min(rsp.max_transfer, tunnel.MAX_TRANSFER)
            peer.had_ids.add(rsp.tunnel_id)
            peer.timer = self.clock.call_at(now + REFRESH, lambda: self.open(eui))
            pending, peer.pending = peer.pending, []
            for message in pending:
                self.send(eui, message, sleepy=False)
        elif rsp.status == tunnel.BUSY:
            peer.busy_until = now + BUSY_RETRY
            peer.timer = self.clock.call_at(peer.busy_until, lambda: self.open(eui))
        elif rsp.status == tunnel.NO_MORE_TUNNEL_IDS:
            for tid in sorted(peer.had_ids):
                self._command(eui, peer.endpoint, tunnel.CloseTunnel(tid))
            peer.had_ids.clear()
            peer.tunnel_id = None
            peer.timer = self.clock.call_at(now + CLOSE_SETTLE, lambda: self.open(eui))
        else:
            self.log(f"{eui:016X} refused a GB-HGRP tunnel (status {rsp.status})")

    def _serve(self, message: ApsMessage, request: tunnel.RequestTunnel) -> None:
        """A sleepy device asks us (the server) for a tunnel."""
        if request.protocol != tunnel.GB_HGRP:
            status, tid = tunnel.PROTOCOL_NOT_SUPPORTED, 0xFFFF
        elif request.flow_control:
            status, tid = tunnel.FLOW_CONTROL_NOT_SUPPORTED, 0xFFFF
        else:
            for old in [t for t, e in self.served.items() if e == message.src]:
                del self.served[old]
            status, tid = tunnel.SUCCESS, self._next_id
            self._next_id = (self._next_id % 0xFFFE) + 1
            self.served[tid] = message.src
        self._command(message.src, message.src_ep, tunnel.RequestTunnelResponse(tid, status))

    def _flags(self, message: ApsMessage) -> None:
        request = zcl.decode(message.payload)
        if request.command != zcl.READ_ATTRIBUTES:
            return
        records = []
        for attr in zcl.read_attribute_ids(request.payload):
            if attr == tunnel.ATTR_NOTIFICATION_FLAGS:
                flags = tunnel.FLAG_MESSAGE_PENDING if self.message_pending(message.src) else 0
                records.append((attr, zcl.STATUS_SUCCESS, BITMAP32, flags.to_bytes(4, "little")))
            else:
                records.append((attr, zcl.STATUS_UNSUPPORTED_ATTRIBUTE, None, b""))
        self._aps(message.src, tunnel.METERING_CLUSTER, zcl.read_attributes_response(request.tsn, records),
                  src_ep=CHF_ENDPOINT, dst_ep=message.src_ep)

    def _up(self, eui: int, unit: bytes) -> None:
        whole = self.inbound.setdefault(eui, Inbound()).add(unit)
        if whole is not None:
            self.deliver_up(whole)

    # ------------------------------------------------------------------ sending
    def _command(self, eui: int, endpoint: int, command: tunnel.Command) -> None:
        self._aps(eui, tunnel.CLUSTER, tunnel.encode(self.next_tsn(), command), src_ep=CHF_ENDPOINT, dst_ep=endpoint)

    def _aps(self, eui: int, cluster: int, payload: bytes, **kwargs) -> None:
        try:
            self.radio.send_aps(eui, cluster, payload, wait=False, **kwargs)
        except DeliveryFailed as exc:
            self.log(f"carriage frame to {eui:016X} not sent: {exc}")
