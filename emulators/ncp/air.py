"""The NCP's radio on the simulated medium: the project's Zigbee PRO node (`SimRadio`, real MAC/NWK/APS frames and
security) with the decisions an EmberZNet stack makes instead of its own. The trust-centre join decision, the
Transport-Key's protection (a link key, or none when the policy sends the key in the clear), whether a joiner
accepts a clear-text network key, raw inter-PAN hand-off to the host and every delivery are the owner's
(`emulators.ncp.stack.EmberStack`). Like a real dongle, it writes no keys file: the keys a capture is read with come
from the host that hands them to its NCP (`EzspRadio.key_sink`) or off the air."""
from __future__ import annotations

from typing import TYPE_CHECKING

from harness.zigbee import aps, aps_commands, mac, nwk, security
from rig.radios.protocol import Message, NetworkInfo
from rig.radios.sim import SimRadio, _Permit

if TYPE_CHECKING:
    from emulators.ncp.stack import EmberStack

ANY = -1   # the permits key that stands for "association open to every device" (beacons read it)
DEVICE_UPDATE_UNSECURED_JOIN, DEVICE_UPDATE_LEFT = 0x01, 0x02
DECISION_PRECONFIGURED, DECISION_CLEAR, DECISION_DENY = 0x00, 0x01, 0x02


class AirNode(SimRadio):
    def __init__(self, stack: "EmberStack", medium, eui64: int, name: str, channel: int):
        self.stack = stack
        super().__init__(medium, eui64, name, channel=channel)
        self.capture_keys = False
        self._rx_block: tuple[int, tuple[int, int | None] | None] = (0, None)   # (APS counter, block) being delivered

    def on_psdu(self, psdu: bytes) -> None:
        """In packet-capture mode (mfglib) every frame heard goes to the host and nothing else; else the node's."""
        if self.stack.capturing:
            self.stack.captured(psdu)
        else:
            super().on_psdu(psdu)

    def open_association(self, until: float | None) -> None:
        """MAC association permit (the beacon bit) open until `until`, or closed."""
        self._permits = {ANY: _Permit(b"", until)} if until is not None else {}

    def association_open(self) -> bool:
        permit = self._permits.get(ANY)
        return permit is not None and permit.until > self.clock.now()

    def restore(self, net: NetworkInfo, tc_eui: int, is_tc: bool) -> None:
        """networkInit: take the network back from tokens."""
        self.channel = net.channel
        self._net, self._tc, self._tc_eui = net, is_tc, tc_eui
        if not is_tc:
            self._learn(0x0000, tc_eui)

    def counters(self) -> tuple[int, int]:
        return self._nwk_fc, self._aps_fc

    def set_counters(self, nwk_fc: int, aps_fc: int) -> None:
        self._nwk_fc, self._aps_fc = nwk_fc, aps_fc

    def tc_eui(self) -> int | None:
        return self._tc_eui

    def short_of(self, eui: int) -> int | None:
        return self._eui_to_short.get(eui)

    def eui_of(self, short: int) -> int | None:
        return self._short_to_eui.get(short)

    def use_keys(self, keys: dict[int, bytes]) -> None:
        """The APS link key per partner the stack currently applies (trust-centre and application tables)."""
        self._keys = dict(keys)

    def send_block(self, dst: int, cluster: int, payload: bytes, *, profile: int, src_ep: int, dst_ep: int,
                   aps_security: bool, timeout: float, counter: int, extended: bytes) -> None:
        """One block of a fragmented message: APS counter `counter` (the message's), extended header `extended`."""
        self._unicast(dst, cluster, payload, profile, src_ep, dst_ep, aps_security, timeout, True, counter, extended)

    def next_aps_counter(self) -> int:
        """An APS counter for the blocks of one fragmented message."""
        return self._next_aps()

    def forget(self, eui: int) -> None:
        self._state.pop(eui, None)

    def leave_request(self, short: int) -> None:
        self._nwk_command(short, nwk.leave(nwk.LEAVE_REQUEST))

    def transmit_raw(self, mpdu: bytes) -> None:
        """A host-built MAC frame; the NCP fills in the MAC sequence number (third octet)."""
        self.medium.transmit(self, mpdu[:2] + bytes([self._next_mac()]) + mpdu[3:])

    # ---- EmberZNet decisions in place of SimRadio's ------------------------------------------------------------
    def _associate(self, eui: int) -> None:
        decision, key = self.stack.join_decision(eui)
        if decision == DECISION_DENY or not self.association_open():
            self._send_association_response(eui, 0xFFFE, mac.ASSOC_ACCESS_DENIED)
            self.stack.tc_joined(eui, 0xFFFE, DEVICE_UPDATE_UNSECURED_JOIN, DECISION_DENY)
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
        body = aps.encode(frame) if key is None else \
            security.secure_aps(frame, key, security.KEY_TRANSPORT, self._next_aps_fc(), self.eui64)
        self._nwk_send(short, body, secure=False)
        self._state[eui] = "key_sent"
        self.stack.tc_joined(eui, short, DEVICE_UPDATE_UNSECURED_JOIN, decision)

    def _rx_aps_command(self, frame: nwk.NwkFrame, a: aps.ApsFrame, nwk_secured: bool) -> None:
        j = self._joining
        if a.security or j is None or j.get("net") is not None:
            super()._rx_aps_command(frame, a, nwk_secured)
            return
        if self.stack.require_encrypted_key():
            self._drop("network key sent in the clear refused (REQUIRE_ENCRYPTED_KEY)")
            return
        cmd = aps_commands.decode(a.payload)
        if isinstance(cmd, aps_commands.TransportKey) and cmd.key_type == aps_commands.KEY_NETWORK \
                and cmd.dst == self.eui64:
            self._tc_eui = cmd.src
            self._learn(0x0000, cmd.src)
            j["net"] = NetworkInfo(self.channel, j["pan"], j["epid"], j["short"], cmd.key, cmd.seq)

    def _rx_aps_data(self, frame: nwk.NwkFrame, a: aps.ApsFrame, src_eui: int | None) -> None:
        if a.profile == 0x0000 and a.cluster == 0x0013 and not a.security:   # Device_annce goes to the host too
            self.stack.device_announce(frame.src, a)
        self._rx_block = (a.counter, aps.fragment_of(a))    # the extended header is outside the encryption
        try:
            super()._rx_aps_data(frame, a, src_eui)
        finally:
            self._rx_block = (0, None)

    def _rx_interpan(self, frame: mac.MacFrame, base: int) -> None:
        self.stack.raw_mac_frame(frame)

    def _deliver(self, message: Message) -> None:
        self.stack.incoming(message, *self._rx_block)

    def _event(self, eui: int, short: int, kind: str) -> None:
        if kind == "left":
            self.stack.tc_joined(eui, short, DEVICE_UPDATE_LEFT, 0x03)
        elif kind == "joined":          # its first frame under the network key: the join is complete
            self.stack.device_authenticated(eui)
