"""The simulated radio: a Zigbee PRO node on `emulators.medium.Medium`, speaking real frames.

Forming makes the node PAN coordinator and trust centre (short 0x0000, extended PAN ID = its EUI-64 by default).
Joining is an active scan, a MAC association and an APS Transport-Key of the network key, APS-secured with the
key-transport key derived from the joiner's link key: a joiner holding the wrong install-code key cannot decrypt it
and stays out. The trust centre associates only EUI-64s it has a live permit for (others get ACCESS_DENIED).
Data frames are NWK-secured with the network key and, by default, APS-secured with the partner's link key, with APS
acks, retries and duplicate filtering. A NWK broadcast is sent 1 + `BROADCAST_RETRIES` times, `PASSIVE_ACK_TIMEOUT`
apart (no neighbour relays it here, so no passive ack stops the retries), and receivers keep each (source, NWK
sequence) in a broadcast transaction table for `BROADCAST_DELIVERY_TIME` to drop the copies. Inter-PAN frames use the SE stub header. Blocking calls advance the virtual
clock (timer by timer) until done or timed out. Frames that fail FCS, addressing, or security are dropped and
listed in `drops` with the reason. Not thread-safe: drive the medium, its radios and the virtual clock from one
thread (callbacks run inside clock advances).
"""
from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

from harness.errors import InputError
from harness.zigbee import aps, aps_commands, beacon as zbeacon, interpan, mac, nwk, security
from harness.zigbee.reader import eui64le, u16le
from emulators.medium.medium import Medium
from rig.radios.protocol import (PROFILE_SE, ApsMessage, BeaconInfo, DeliveryFailed, InterPanMessage, JoinEvent,
                                 JoinFailed, Message, NetworkInfo)

ZDO_PROFILE, ZDO_DEVICE_ANNOUNCE = 0x0000, 0x0013
CAPABILITY = mac.CAP_ALLOCATE_ADDRESS | mac.CAP_RX_ON_IDLE | mac.CAP_MAINS | mac.CAP_FFD
ASSOCIATION_WAIT = 0.5
SCAN_DURATION = 0.138  # 802.15.4 scan duration 3: (2^3 + 1) x 15.36 ms per channel
APS_ATTEMPTS = 3
BROADCAST_RETRIES = 2            # nwkMaxBroadcastRetries (Zigbee PRO default)
PASSIVE_ACK_TIMEOUT = 0.5        # seconds, nwkPassiveAckTimeout (the largest the Zigbee PRO specification allows)
BROADCAST_DELIVERY_TIME = 9.0    # seconds, nwkBroadcastDeliveryTime: how long a broadcast's copies are recognised
SIM_RADIO_VERSION = "simulated radio medium (no NCP)"  # what a run records as a simulated radio's version


@dataclass
class _Permit:
    key: bytes
    until: float


class SimRadio:
    """A simulated Zigbee radio (see the module docstring). `name` identifies it on the medium."""

    def __init__(self, medium: Medium, eui64: int, name: str | None = None, channel: int = 11):
        self.medium = medium
        self.clock = medium.clock
        self.eui64 = eui64
        self.name = name or f"{eui64:016X}"
        self.channel = channel
        self.drops: list[tuple[float, str]] = []
        self._net: NetworkInfo | None = None
        self._tc = False
        self._tc_eui: int | None = None
        self._permits: dict[int, _Permit] = {}
        self._keys: dict[int, bytes] = {}
        self._interpan_keys: dict[int, bytes] = {}      # keys of inter-PAN CBKE partners (not on our HAN)
        self._short_to_eui: dict[int, int] = {}
        self._eui_to_short: dict[int, int] = {}
        self._state: dict[int, str] = {}               # TC: eui -> 'key_sent' | 'joined'
        self._rx_counters: dict[int, int] = {}          # NWK frame counter seen per source EUI
        self._aps_seen: dict[int, deque[tuple[int, bytes | None]]] = {}   # (APS counter, extended header) seen per source EUI
        self._acked: set[int] = set()
        self._broadcasts_seen: dict[tuple[int, int], float] = {}   # (NWK source, sequence) -> when first heard
        self._mac_seq = self._nwk_seq = self._aps_counter = 0
        self._nwk_fc = self._aps_fc = 0
        self._interpan = False
        self._queue: deque[Message] = deque()
        self._events: list[JoinEvent] = []
        self._on_message: Callable[[Message], None] | None = None
        self._on_join: Callable[[JoinEvent], None] | None = None
        self._scan: list[BeaconInfo] | None = None
        self._joining: dict | None = None
        self._rng = random.Random(eui64)
        self.capture_keys = True    # False: the keys this node holds stay out of the capture's keys file
        medium.attach(self)

    # ---- network management -------------------------------------------------------------------------------
    def form_network(self, channel: int, pan_id: int, network_key: bytes, extended_pan_id: int | None = None) -> NetworkInfo:
        if len(network_key) != 16:
            raise ValueError("network key must be 16 octets")
        self.channel = channel
        self._net = NetworkInfo(channel, pan_id, self.eui64 if extended_pan_id is None else extended_pan_id, 0x0000,
                                bytes(network_key))
        self._tc, self._tc_eui = True, self.eui64
        self._capture_key(network_key, "network key")
        return self._net

    def network(self) -> NetworkInfo | None:
        return self._net

    def active_scan(self, channels: Iterable[int], duration: float = SCAN_DURATION) -> list[BeaconInfo]:
        home = self.channel
        found: list[BeaconInfo] = []
        for ch in channels:
            self.channel = ch
            self._scan = []
            self._mac_send(mac.MacFrame(mac.COMMAND, self._next_mac(), dst_mode=mac.ADDR_SHORT, dst_pan=mac.BROADCAST_PAN,
                                        dst=mac.BROADCAST_SHORT,
                                        payload=mac.encode_command(mac.MacCommand(mac.CMD_BEACON_REQUEST))))
            self.medium.wait_until(lambda: False, duration)
            found += self._scan
        self._scan = None
        self.channel = home
        return found

    def join(self, extended_pan_id: int, link_key: bytes, channels: Iterable[int] = range(11, 27),
             timeout: float = 10.0) -> NetworkInfo:
        if self._net is not None:
            raise JoinFailed("already in a network")
        deadline = self.clock.now() + timeout
        target = None
        for ch in channels:
            if self.clock.now() >= deadline:
                break
            found = [b for b in self.active_scan([ch], SCAN_DURATION)
                     if b.extended_pan_id == extended_pan_id and b.permit_joining]
            if found:
                target = found[0]
                break
        if target is None:
            raise JoinFailed(f"no PAN with extended PAN ID {extended_pan_id:016X} is permitting joins")
        self.channel = target.channel
        self._joining = {"pan": target.pan_id, "epid": extended_pan_id, "key": bytes(link_key), "short": None,
                         "status": None, "net": None}
        try:
            while self.clock.now() < deadline and self._joining["status"] is None:
                self._mac_send(mac.MacFrame(
                    mac.COMMAND, self._next_mac(), dst_mode=mac.ADDR_SHORT, dst_pan=target.pan_id, dst=target.coordinator,
                    src_mode=mac.ADDR_LONG, src_pan=mac.BROADCAST_PAN, src=self.eui64, ack_request=True,
                    payload=mac.encode_command(mac.association_request(CAPABILITY))))
                self.medium.wait_until(lambda: self._joining["status"] is not None,
                                       min(ASSOCIATION_WAIT, max(0.0, deadline - self.clock.now())))
            status = self._joining["status"]
            if status is None:
                raise JoinFailed("no association response from the coordinator")
            if status != mac.ASSOC_SUCCESS:
                raise JoinFailed(f"association refused by the coordinator (status 0x{status:02x})")
            self.medium.wait_until(lambda: self._joining["net"] is not None, max(0.0, deadline - self.clock.now()))
            if self._joining["net"] is None:
                why = [r for _, r in self.drops if "Transport-Key" in r]
                raise JoinFailed("the network key never arrived" + (f": {why[-1]}" if why else ""))
            self._net = self._joining["net"]
        finally:
            self._joining = None
        self._keys.setdefault(self._tc_eui, bytes(link_key))
        self._announce()
        return self._net

    def set_channel(self, channel: int) -> None:
        if not 11 <= channel <= 26:
            raise ValueError(f"channel {channel} is not a 2.4 GHz channel (11-26)")
        self.channel = channel

    def leave(self) -> None:
        if self._net is None:
            return
        self._nwk_command(0x0000 if not self._tc else nwk.BROADCAST_RX_ON, nwk.leave(0))
        self._forget_network()

    def permit_joining(self, eui: int, link_key: bytes, duration: float) -> None:
        self._require_tc()
        if len(link_key) != 16:
            raise ValueError("link key must be 16 octets")
        self._permits[eui] = _Permit(bytes(link_key), self.clock.now() + duration)
        self._keys[eui] = bytes(link_key)
        self._capture_key(link_key, f"install-code link key {eui:016X}")
        self.clock.call_at(self.clock.now() + duration, lambda: self._expire(eui))

    def remove_device(self, eui: int) -> None:
        self._require_tc()
        self._permits.pop(eui, None)
        short = self._eui_to_short.get(eui)
        if short is not None:
            self._nwk_command(short, nwk.leave(nwk.LEAVE_REQUEST))
        self._keys.pop(eui, None)
        self._state.pop(eui, None)

    def set_link_key(self, partner: int, key: bytes) -> None:
        if len(key) != 16:
            raise ValueError("link key must be 16 octets")
        self._keys[partner] = bytes(key)
        self._capture_key(key, f"link key {self.eui64:016X}<->{partner:016X}")

    def get_link_key(self, partner: int) -> bytes | None:
        return self._keys.get(partner)

    # ---- data -----------------------------------------------------------------------------------------------
    def send_aps(self, dst: int, cluster: int, payload: bytes, *, profile: int = PROFILE_SE, src_ep: int = 1,
                 dst_ep: int = 1, aps_security: bool = True, timeout: float = 5.0, wait: bool = True) -> None:
        self._unicast(dst, cluster, payload, profile, src_ep, dst_ep, aps_security, timeout, wait)

    def _unicast(self, dst: int, cluster: int, payload: bytes, profile: int, src_ep: int, dst_ep: int,
                 aps_security: bool, timeout: float, wait: bool, counter: int | None = None,
                 extended: bytes | None = None) -> None:
        """`counter`/`extended`: the APS counter and extended header of one block of a fragmented message (the
        blocks share the counter); otherwise the next counter and none."""
        if self._net is None:
            raise DeliveryFailed("not in a network")
        short = self._eui_to_short.get(dst)
        if short is None:
            raise DeliveryFailed(f"no network address known for {dst:016X}")
        key = self._keys.get(dst)
        if aps_security and key is None:
            raise DeliveryFailed(f"no link key for {dst:016X}")
        counter = self._next_aps() if counter is None else counter
        frame = aps.ApsFrame(aps.DATA, counter, dst_ep=dst_ep, cluster=cluster, profile=profile, src_ep=src_ep,
                             payload=bytes(payload), ack_request=True, extended=extended)
        interval = timeout / APS_ATTEMPTS

        def transmit() -> None:
            body = security.secure_aps(frame, key, security.KEY_DATA, self._next_aps_fc(), self.eui64) \
                if aps_security else aps.encode(frame)
            self._nwk_send(short, body)

        if not wait:  # retransmit from timers until acknowledged, as the APS layer does for any unicast
            self._retry_later(counter, transmit, interval, 1, f"{dst:016X} cluster 0x{cluster:04x}")
            transmit()
            return
        for _ in range(APS_ATTEMPTS):
            transmit()
            if self.medium.wait_until(lambda: counter in self._acked, interval):
                self._acked.discard(counter)
                return
        raise DeliveryFailed(f"no APS ack from {dst:016X} for cluster 0x{cluster:04x} after {APS_ATTEMPTS} attempts")

    def _retry_later(self, counter: int, transmit: Callable[[], None], interval: float, attempt: int,
                     what: str) -> None:
        net = self._net

        def check() -> None:
            if self._net is not net:  # we left (or changed) the network: the APS layer drops what it was retrying
                return
            if counter in self._acked:
                self._acked.discard(counter)
            elif attempt >= APS_ATTEMPTS:
                self._drop(f"no APS ack from {what} after {APS_ATTEMPTS} attempts")
            else:
                self._retry_later(counter, transmit, interval, attempt + 1, what)
                transmit()
        self.clock.call_at(self.clock.now() + interval, check)

    def send_interpan(self, dst_pan: int, dst: int | None, cluster: int, payload: bytes, *,
                      profile: int = PROFILE_SE, link_key: bytes | None = None) -> None:
        frame = interpan.InterPanFrame(cluster, profile, aps.UNICAST if dst is not None else aps.BROADCAST,
                                       payload=bytes(payload))
        body = security.secure_interpan(frame, link_key, self._next_aps_fc(), self.eui64) if link_key \
            else interpan.encode(frame)
        src_pan = self._net.pan_id if self._net else mac.BROADCAST_PAN
        self._mac_send(interpan.mac_frame(self._next_mac(), dst_pan, mac.BROADCAST_SHORT if dst is None else dst,
                                          dst is not None, src_pan, self.eui64, body))

    def set_interpan(self, enabled: bool) -> None:
        self._interpan = enabled

    def set_interpan_key(self, partner: int, key: bytes) -> None:
        if len(key) != 16:
            raise ValueError("link keys are 16 octets")
        self._interpan_keys[partner] = bytes(key)
        self._capture_key(key, f"inter-PAN link key {self.eui64:016X}<->{partner:016X}")

    def on_message(self, callback: Callable[[Message], None] | None) -> None:
        self._on_message = callback

    def on_join_event(self, callback: Callable[[JoinEvent], None] | None) -> None:
        self._on_join = callback

    def receive(self, timeout: float = 5.0) -> Message | None:
        self.medium.wait_until(lambda: bool(self._queue), timeout)
        return self._queue.popleft() if self._queue else None

    def events(self) -> list[JoinEvent]:
        out, self._events = self._events, []
        return out

    def close(self) -> None:
        self.medium.detach(self)

    # ---- inbound --------------------------------------------------------------------------------------------
    def on_psdu(self, psdu: bytes) -> None:
        """Called by the medium with each frame heard on our channel."""
        try:
            frame = mac.decode_with_fcs(psdu)
            if frame.frame_type == mac.BEACON:
                self._rx_beacon(frame)
            elif frame.frame_type == mac.COMMAND:
                self._rx_mac_command(frame)
            elif frame.frame_type == mac.DATA:
                if interpan.is_interpan(frame.payload):
                    self._rx_interpan(frame, len(psdu) - 2 - len(frame.payload))
                else:
                    self._rx_nwk(frame, len(psdu) - 2 - len(frame.payload))
        except InputError as exc:
            self._drop(str(exc))

    def _rx_beacon(self, frame: mac.MacFrame) -> None:
        if self._scan is None:
            return
        base = len(mac.encode(frame)) - len(frame.payload)
        sf = mac.decode_beacon(frame.payload, base)
        zb = zbeacon.decode(sf.payload, base + 4)
        self._scan.append(BeaconInfo(self.channel, frame.src_pan, frame.src, zb.extended_pan_id, sf.association_permit,
                                     zb.router_capacity, zb.end_device_capacity, zb.depth))

    def _rx_mac_command(self, frame: mac.MacFrame) -> None:
        cmd = mac.decode_command(frame.payload)
        if cmd.command == mac.CMD_BEACON_REQUEST and self._tc and self._net is not None:
            self._send_beacon()
        elif cmd.command == mac.CMD_ASSOCIATION_REQUEST and self._tc and self._net is not None \
                and frame.dst_pan == self._net.pan_id and frame.dst == self._net.short and frame.src_mode == mac.ADDR_LONG:
            mac.parse_association_request(cmd)
            self._associate(frame.src)
        elif cmd.command == mac.CMD_ASSOCIATION_RESPONSE and self._joining is not None \
                and frame.dst_mode == mac.ADDR_LONG and frame.dst == self.eui64:
            short, status = mac.parse_association_response(cmd)
            self._joining["short"], self._joining["status"] = short, status

    def _rx_interpan(self, frame: mac.MacFrame, base: int) -> None:
        if not self._interpan:
            return
        own_pan = self._net.pan_id if self._net else None
        if frame.dst_pan not in (mac.BROADCAST_PAN, own_pan) or frame.src_mode != mac.ADDR_LONG:
            return
        if not ((frame.dst_mode == mac.ADDR_LONG and frame.dst == self.eui64)
                or (frame.dst_mode == mac.ADDR_SHORT and frame.dst == mac.BROADCAST_SHORT)):
            return
        ip = interpan.decode(frame.payload, base)
        if ip.security:
            key = self._interpan_keys.get(frame.src, self._keys.get(frame.src))
            if key is None:
                raise InputError(f"secured inter-PAN frame from {frame.src:016X} and no link key for it",
                                 field="aps_frame_control.security")
            ip = security.open_interpan(frame.payload, key, frame.src)
        self._deliver(InterPanMessage(frame.src, frame.src_pan, frame.dst_pan, frame.dst, ip.cluster, ip.profile,
                                      ip.payload, ip.security))

    def _rx_nwk(self, frame: mac.MacFrame, base: int) -> None:
        if self._net is not None:
            pan, short = self._net.pan_id, self._net.short
        elif self._joining is not None and self._joining["short"] is not None:
            pan, short = self._joining["pan"], self._joining["short"]
        else:
            return
        if frame.dst_pan != pan or frame.dst_mode != mac.ADDR_SHORT or frame.dst not in (short, mac.BROADCAST_SHORT):
            return
        head = nwk.decode(frame.payload, base)
        if head.dst not in (short, nwk.BROADCAST_ALL, nwk.BROADCAST_RX_ON, nwk.BROADCAST_ROUTERS):
            return
        if head.dst != short and self._broadcast_repeated(head.src, head.seq):
            return
        if head.security:
            if self._net is None:
                return
            net_key = self._net.network_key
            opened, aux = security.open_nwk(frame.payload, lambda seq: net_key if seq == self._net.key_seq else None,
                                            base)
            src_eui = int.from_bytes(aux.source, "little") if aux.source else None
            if src_eui is not None:
                if aux.frame_counter <= self._rx_counters.get(src_eui, -1):
                    raise InputError(f"NWK frame counter {aux.frame_counter} replayed from {src_eui:016X}",
                                     field="frame_counter")
                self._rx_counters[src_eui] = aux.frame_counter
                self._learn(opened.src, src_eui)
            self._rx_nwk_payload(opened, src_eui, secured=True)
        else:
            self._rx_nwk_payload(head, self._short_to_eui.get(head.src), secured=False)

    def _broadcast_repeated(self, src: int, seq: int) -> bool:
        """True for a copy of a broadcast already heard (the broadcast transaction table); records a new one."""
        now = self.clock.now()
        self._broadcasts_seen = {k: t for k, t in self._broadcasts_seen.items() if now - t < BROADCAST_DELIVERY_TIME}
        if (src, seq) in self._broadcasts_seen:
            return True
        self._broadcasts_seen[(src, seq)] = now
        return False

    def _rx_nwk_payload(self, frame: nwk.NwkFrame, src_eui: int | None, secured: bool) -> None:
        if self._tc and secured and src_eui is not None and self._state.get(src_eui) == "key_sent":
            self._state[src_eui] = "joined"
            self._event(src_eui, frame.src, "joined")
        if frame.frame_type == nwk.COMMAND:
            if secured:
                self._rx_nwk_command(frame, src_eui)
            return
        a = aps.decode(frame.payload)
        if a.frame_type == aps.COMMAND:
            self._rx_aps_command(frame, a, secured)
        elif not secured:
            self._drop("APS frame without NWK security ignored")
        elif a.frame_type == aps.ACK:
            if a.security:
                key = self._keys.get(src_eui)
                if key is None:
                    raise InputError("APS-secured ack from a partner we hold no link key for", field="aps.security")
                security.open_aps(frame.payload, key, src_eui)
            self._acked.add(a.counter)
        else:
            self._rx_aps_data(frame, a, src_eui)

    def _rx_nwk_command(self, frame: nwk.NwkFrame, src_eui: int | None) -> None:
        cmd = nwk.decode_command(frame.payload)
        if cmd.command != nwk.CMD_LEAVE or src_eui is None:
            return
        options = cmd.payload[0] if cmd.payload else 0
        if options & nwk.LEAVE_REQUEST and src_eui == self._tc_eui and not self._tc:
            self._nwk_command(0x0000, nwk.leave(0))
            self._forget_network()
        elif self._tc:
            self._state.pop(src_eui, None)
            self._event(src_eui, frame.src, "left")

    def _rx_aps_command(self, frame: nwk.NwkFrame, a: aps.ApsFrame, nwk_secured: bool) -> None:
        if not a.security or self._joining is None or self._joining.get("net") is not None:
            return
        try:
            opened, aux = security.open_aps(frame.payload, self._joining["key"])
        except InputError as exc:
            self._drop(f"Transport-Key did not decrypt with our link key ({exc})")
            return
        cmd = aps_commands.decode(opened.payload)
        if isinstance(cmd, aps_commands.TransportKey) and cmd.key_type == aps_commands.KEY_NETWORK \
                and cmd.dst == self.eui64:
            j = self._joining
            self._tc_eui = cmd.src
            self._learn(0x0000, cmd.src)
            j["net"] = NetworkInfo(self.channel, j["pan"], j["epid"], j["short"], cmd.key, cmd.seq)
            self._capture_key(cmd.key, "network key")

    def _rx_aps_data(self, frame: nwk.NwkFrame, a: aps.ApsFrame, src_eui: int | None) -> None:
        if src_eui is None:
            src_eui = self._short_to_eui.get(frame.src)
        if src_eui is None:
            raise InputError(f"APS data from unknown network address 0x{frame.src:04x}", field="nwk.src")
        if a.security:
            key = self._keys.get(src_eui)
            if key is None:
                raise InputError(f"APS-secured frame from {src_eui:016X} and no link key for it",
                                 field="aps.security")
            a, _ = security.open_aps(frame.payload, key, src_eui)
        if a.ack_request and frame.dst == self._net.short:
            ack = aps.ack_for(a)
            body = security.secure_aps(ack, self._keys[src_eui], security.KEY_DATA, self._next_aps_fc(), self.eui64) \
                if a.security else aps.encode(ack)
            self._nwk_send(frame.src, body)
        seen = self._aps_seen.setdefault(src_eui, deque(maxlen=16))
        if (a.counter, a.extended) in seen:     # a block of a fragmented message is told apart by its extended header
            return
        seen.append((a.counter, a.extended))
        if a.profile == ZDO_PROFILE and a.cluster == ZDO_DEVICE_ANNOUNCE:
            return
        self._deliver(ApsMessage(src_eui, frame.src, a.src_ep, a.dst_ep, a.cluster, a.profile, a.payload, a.security,
                                 broadcast=frame.dst >= 0xFFF8))

    # ---- trust centre ----------------------------------------------------------------------------------------
    def _associate(self, eui: int) -> None:
        permit = self._permits.get(eui)
        now = self.clock.now()
        if permit is None or permit.until < now:
            self._send_association_response(eui, 0xFFFE, mac.ASSOC_ACCESS_DENIED)
            self._event(eui, 0xFFFE, "denied")
            return
        short = self._eui_to_short.get(eui)
        if short is None:
            short = self._allocate_short()
            self._learn(short, eui)
        self._send_association_response(eui, short, mac.ASSOC_SUCCESS)
        net = self._net
        tk = aps_commands.TransportKey(aps_commands.KEY_NETWORK, net.network_key, dst=eui, src=self.eui64,
                                       seq=net.key_seq)
        frame = aps.ApsFrame(aps.COMMAND, self._next_aps(), payload=aps_commands.encode(tk))
        body = security.secure_aps(frame, permit.key, security.KEY_TRANSPORT, self._next_aps_fc(), self.eui64)
        self._nwk_send(short, body, secure=False)
        self._state[eui] = "key_sent"
        self._event(eui, short, "key_sent")

    def _send_association_response(self, eui: int, short: int, status: int) -> None:
        self._mac_send(mac.MacFrame(mac.COMMAND, self._next_mac(), dst_mode=mac.ADDR_LONG, dst_pan=self._net.pan_id,
                                    dst=eui, src_mode=mac.ADDR_LONG, src=self.eui64, pan_id_compression=True,
                                    ack_request=True,
                                    payload=mac.encode_command(mac.association_response(short, status))))

    def _send_beacon(self) -> None:
        net = self._net
        permit = any(p.until >= self.clock.now() for p in self._permits.values())
        payload = zbeacon.encode(zbeacon.ZigbeeBeacon(net.extended_pan_id))
        self._mac_send(mac.MacFrame(mac.BEACON, self._next_mac(), src_mode=mac.ADDR_SHORT, src_pan=net.pan_id,
                                    src=net.short,
                                    payload=mac.encode_beacon(mac.Beacon(association_permit=permit, payload=payload))))

    def _expire(self, eui: int) -> None:
        permit = self._permits.get(eui)
        if permit is not None and permit.until <= self.clock.now():
            del self._permits[eui]

    def _allocate_short(self) -> int:
        while True:
            short = self._rng.randrange(0x0001, 0xFFF7)
            if short not in self._short_to_eui:
                return short

    def _require_tc(self) -> None:
        if not self._tc:
            raise RuntimeError("only the trust centre (the node that formed the network) can do this")

    # ---- outbound helpers -------------------------------------------------------------------------------------
    def _announce(self) -> None:
        payload = bytes([self._next_aps() & 0xFF]) + u16le(self._net.short) + eui64le(self.eui64) + bytes([CAPABILITY])
        frame = aps.ApsFrame(aps.DATA, self._next_aps(), delivery=aps.BROADCAST, dst_ep=0, cluster=ZDO_DEVICE_ANNOUNCE,
                             profile=ZDO_PROFILE, src_ep=0, payload=payload)
        self._nwk_send(nwk.BROADCAST_RX_ON, aps.encode(frame))

    def _nwk_command(self, dst: int, cmd: nwk.NwkCommand) -> None:
        self._nwk_send(dst, nwk.encode_command(cmd), frame_type=nwk.COMMAND)

    def _nwk_send(self, dst: int, payload: bytes, secure: bool = True, frame_type: int = nwk.DATA) -> None:
        net = self._net
        frame = nwk.NwkFrame(frame_type, dst, net.short, self._next_nwk(), payload=payload,
                             radius=1 if frame_type == nwk.COMMAND else 30)
        data = security.secure_nwk(frame, net.network_key, net.key_seq, self._next_nwk_fc(), self.eui64) if secure \
            else nwk.encode(frame)
        mac_dst = mac.BROADCAST_SHORT if dst >= 0xFFF8 else dst

        def transmit() -> None:
            self._mac_send(mac.MacFrame(mac.DATA, self._next_mac(), dst_mode=mac.ADDR_SHORT, dst_pan=net.pan_id,
                                        dst=mac_dst, src_mode=mac.ADDR_SHORT, src=net.short, pan_id_compression=True,
                                        ack_request=mac_dst != mac.BROADCAST_SHORT, payload=data))
        transmit()
        if mac_dst == mac.BROADCAST_SHORT:
            for retry in range(1, BROADCAST_RETRIES + 1):
                self.clock.call_at(self.clock.now() + retry * PASSIVE_ACK_TIMEOUT,
                                   lambda: transmit() if self._net is net else None)

    def _mac_send(self, frame: mac.MacFrame) -> None:
        self.medium.transmit(self, mac.encode(frame))

    def _deliver(self, message: Message) -> None:
        if self._on_message is not None:
            self._on_message(message)
        else:
            self._queue.append(message)

    def _event(self, eui: int, short: int, kind: str) -> None:
        event = JoinEvent(eui, short, kind, self.clock.now())
        if self._on_join is not None:
            self._on_join(event)
        else:
            self._events.append(event)

    def _drop(self, reason: str) -> None:
        self.drops.append((self.clock.now(), reason))

    def _learn(self, short: int, eui: int) -> None:
        old = self._eui_to_short.get(eui)
        if old is not None and old != short:
            self._short_to_eui.pop(old, None)
        self._short_to_eui[short] = eui
        self._eui_to_short[eui] = short

    def _forget_network(self) -> None:
        self._net = None
        self._tc = False
        self._short_to_eui.clear()
        self._eui_to_short.clear()

    def _capture_key(self, key: bytes, label: str) -> None:
        add = getattr(self.medium.capture, "key", None)
        if add is not None and self.capture_keys:
            add(bytes(key), label)

    def _next_mac(self) -> int:
        self._mac_seq = (self._mac_seq + 1) & 0xFF
        return self._mac_seq

    def _next_nwk(self) -> int:
        self._nwk_seq = (self._nwk_seq + 1) & 0xFF
        return self._nwk_seq

    def _next_aps(self) -> int:
        self._aps_counter = (self._aps_counter + 1) & 0xFF
        return self._aps_counter

    def _next_nwk_fc(self) -> int:
        self._nwk_fc += 1
        return self._nwk_fc

    def _next_aps_fc(self) -> int:
        self._aps_fc += 1
        return self._aps_fc
