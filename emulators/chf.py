"""Host half of an emulated Communications Hub Function: its Zigbee node (PAN coordinator, trust centre, Key
Establishment server) on a radio, and its WAN side towards the DCC core.

The board half (firmware/roles/chf.py) owns the CHF Device Log, checks every GBCS command with its own crypto,
answers, and raises CS14 alerts. This half follows the log: a `devlog.added` event opens joining for exactly that
EUI-64 with its install-code key for the join timeout; a `devlog.removed` event withdraws the device. After a
joiner has taken the network key, it must complete CBKE; only then does this half tell the board
(`devlog.joined`), which raises the second CS14, and opens a GB-HGRP tunnel to it (ESME, HCALCS, PPMID) for the
GBCS commands it relays from the WAN to devices in its log (emulators/chf_tunnels.py). Over inter-PAN it answers
an HHT's key establishment only while the board says the window after power-on is open, and passes the HHT's
locally delivered commands to the board. It serves the CH's time status on the ZCL Time cluster (valid unless the
bench has taken the CH's Network Time away, `set_time_valid`).

Board events are taken from the link in `pump()`, on the caller's thread, so the run stays single-threaded and
deterministic on the virtual clock.
"""
from __future__ import annotations

from typing import Callable

from emulators import local_delivery
from emulators.chf_mirror import ChfMirror
from emulators.chf_tunnels import ChfTunnels
from emulators.ke_session import KeFrame, certificate_in, initiate_in
from emulators.ota_server import TRANSFER_CODES, OtaServer
from emulators.provision import HanIdentity, install_code_link_key
from emulators.tunnel_carriage import routing_of
from harness.errors import InputError
from harness.ota.image import OtaHeader, parse_header
from harness.zigbee import ota, time_cluster, zcl, zdo
from harness.zse import certificate as cert_mod
from harness.zse import ke
from harness.zse import ke_frames as kf
from rig.boardlink import BoardError, BoardLink
from rig.clock import Clock
from rig.radios.protocol import ApsMessage, InterPanMessage, JoinEvent, Message, Radio

WELL_KNOWN_TC_KEY = b"ZigBeeAlliance09"
DEFAULT_CHANNEL = 15
DEFAULT_PAN_ID = 0x1A62
KE_ENDPOINT = 1
PERMIT_FOREVER = 7 * 24 * 3600.0
# Named defects this emulator can play (defect injection): each breaks one rule a conformance test checks.
DEFECTS = {
    "admit_unlisted": "admits joiners that are not in the CHF Device Log (with the well-known TC link key)",
    "skip_install_code_check": "opens joining with the well-known TC link key instead of the install-code key",
    "accept_foreign_ca": "continues key establishment with a certificate from an issuer it does not trust",
    "ignore_join_period": "keeps joining open for a device long after the Join Time Period of its CCS01",
    "keep_permit_after_remove": "keeps a device's join permit and link key after CCS02 removed it",
    "no_join_cs14": "raises no CS14 when a device has joined (board half)",
    "no_wan_buffer": "drops alerts raised while the WAN is down (board half)",
    "drops_device_alerts_without_wan": "drops the responses and alerts HAN devices send while the WAN is down "
                                       "instead of holding them for its return (board half)",
    "interpan_window_ignored": "answers inter-PAN key establishment at any time, not only for 60 minutes after "
                               "power-on (board half)",
    "hht_order_unchecked": "accepts an HHT's device CCS01 before the HHT has added itself (board half)",
    "no_anti_replay": "accepts a command whose counter is not above the last one accepted (board half)",
    "interpan_never_open": "never answers inter-PAN key establishment, even just after power-on (board half)",
    "never_permit": "admits nobody: never opens joining, not even for the devices in its Device Log",
    "interpan_window_not_restarted": "measures the inter-PAN window from an earlier power-on, not the latest "
                                     "(board half)",
    "accept_expired_cert": "continues key establishment with a certificate that has expired",
    "ignore_cert_subject": "continues key establishment with a certificate whose subject is not the joiner",
    "bad_response_mac": "flips a bit in the MAC of its GBCS responses (board half)",
    "malformed_cs14": "raises CS14 alerts whose DLMS payload does not decode (board half)",
    "no_tunnel_request": "never requests a tunnel to a device after CBKE",
    "evict_when_full": "with its Device Log full, accepts a CCS01 by silently dropping the oldest entry (board half)",
    "relay_to_unlisted": "relays a GBCS command over the HAN to a device that is not in its Device Log",
    "skip_krp_check": "runs a critical command (its own CS06) without verifying the KRP signature (board half)",
    "ad1_on_reboot": "reports a power outage to the DCC after every restart, a software reboot (into an image it "
                     "activated, or plain) included, however short (board half)",
    "skip_local_mac_check": "runs a command an HHT delivers locally without verifying its ACB MAC (board half)",
}
WAN_BLOCK = 1024  # octets of its own image the CH's WAN side hands its board per call
TUNNEL_SERVERS = (1, 4, 5)  # device types the CHF opens tunnels to: ESME, HCALCS, PPMID (the GSME opens its own)
SLEEPY = 0                  # GSME
HAN_ONLY_CODES = (0x009B, 0x0090)  # PCS01, PCS02: PPMID <-> GSME through the CH, never to the DCC (gbcs.md 2.5)
TUNNEL_SETTLE = 5.0         # seconds from CBKE done to the tunnel request: an APS retry window [I: GBCS says "after"]


class ChfEmulator:
    """The CHF's Zigbee node and WAN side. `alert_sink` receives every alert the CHF sends up the WAN."""

    def __init__(self, link: BoardLink, radio: Radio, identity: HanIdentity, clock: Clock, *,
                 network_key: bytes, channel: int = DEFAULT_CHANNEL, pan_id: int = DEFAULT_PAN_ID,
                 defects: tuple[str, ...] = (), gpf: tuple[BoardLink, bytes] | None = None):
        self.link = link
        self.radio = radio
        self.identity = identity
        self.clock = clock
        self.network_key = network_key
        self.channel = channel
        self.pan_id = pan_id
        self.defects = set(defects)
        self.credentials = identity.cbke
        # The CA of the bench's devices stays trusted even when a test swaps in other credentials.
        self.trusted_issuers = (cert_mod.decode(identity.cbke.certificate).issuer,)
        self.alert_sink: Callable[[bytes], None] | None = None
        self.device_sink: Callable[[bytes], None] | None = None  # what HAN devices (and the GPF) send up the WAN
        self.gpf = gpf  # the CH's GPF: its board link and EUI-64
        self._tsn = 0
        self.time_valid = True  # the CH has synchronised to Network Time (BAD 7.5.7: at commissioning)
        self.tunnels = ChfTunnels(radio, clock, self._next_tsn, self._up, lambda text: self.link.call("log", text=text))
        self.mirror = ChfMirror(radio, self._next_tsn, gpf[0] if gpf is not None else None,
                                lambda text: self.link.call("log", text=text))
        self.sessions: dict[int, ke.Responder] = {}
        self.interpan_sessions: dict[int, ke.Responder] = {}
        self.interpan_keys: dict[int, bytes] = {}
        self.interpan_attempts: list[tuple[float, int, dict]] = []  # (time, HHT, the board's window answer)
        self.ke_log: list[KeFrame] = []
        self.ota_server = OtaServer(radio, clock)
        self.ota_server.on_transfer = self._ota_transferred

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.radio.form_network(self.channel, self.pan_id, self.network_key,
                                extended_pan_id=self.identity.eui_int)
        self.radio.set_interpan(True)
        self.radio.on_message(self._on_message)
        self.radio.on_join_event(self._on_join_event)

    def pump(self) -> None:
        """Handle what the board has said since the last pump (alerts, log changes) and KE timeouts."""
        for event in self.link.events():
            self._on_board_event(event.name, event.data)
        if self.gpf is not None:
            for event in self.gpf[0].events():
                if event.name == "alert":
                    self._up(bytes.fromhex(event.data["hex"]))
        for session in [*self.sessions.values(), *self.interpan_sessions.values()]:
            session.poll(self.clock.now())

    # ------------------------------------------------------------------ WAN side
    def wan_deliver(self, data: bytes) -> bytes | None:
        """A GBCS command from the DCC. For the CHF (or the CH's GPF) the board checks and runs it: its response,
        or None when refused. For a HAN device the board decides from its Device Log whether to relay it (and logs
        that); relayed commands go through the device's tunnel (or the sleepy GSME's queue) and the device's
        answer comes back later through `device_sink`."""
        recipient, code = routing_of(data)
        if recipient is not None and recipient != self.identity.eui:
            if self.gpf is not None and recipient == self.gpf[1]:
                return self._board_command(self.gpf[0], data)
            verdict = self.link.call("relay.check", eui=recipient.hex().upper(), code=code)
            if verdict["relay"] or "relay_to_unlisted" in self.defects:
                self.tunnels.send(int.from_bytes(recipient, "big"), data, sleepy=verdict["type"] == SLEEPY)
            return None
        return self._board_command(self.link, data)

    def deliver_firmware(self, image: bytes) -> bool:
        """The DCC hands the CH its own firmware image over the WAN (BAD 7.5.3.6.5; no SRV 11.1, not GBCS): the
        board stores it in its free slot and checks it with its own crypto. True = taken and held (acknowledged)."""
        try:
            header = parse_header(image)
            offset = self.link.call("ota.begin", manufacturer=header.manufacturer, image_type=header.image_type,
                                    file_version=header.file_version, total=len(image))["offset"]
            while offset < len(image):
                block = image[offset:offset + WAN_BLOCK].hex()
                offset = self.link.call("ota.block", offset=offset, hex=block)["offset"]
            return bool(self.link.call("ota.end")["ok"])
        except InputError:  # not an OTA image
            return False
        except BoardError as exc:
            if exc.code in ("not_for_us", "too_large"):  # an image the board does not take
                return False
            raise

    @staticmethod
    def _board_command(link: BoardLink, data: bytes) -> bytes | None:
        answer = link.call("gbcs.command", hex=data.hex())
        return bytes.fromhex(answer["response"]) if answer.get("response") else None

    def _up(self, data: bytes) -> None:
        """What a HAN device (or the GPF) sent up: a HAN-only message (PCS01/PCS02 from a PPMID, the GSME's response)
        goes to the device it is for, if the Device Log lets it be relayed (the GSME's through its queue); the rest is
        for the WAN: up now, or held by the board until the WAN returns."""
        recipient, code = routing_of(data)
        if code in HAN_ONLY_CODES and recipient is not None:
            verdict = self.link.call("relay.check", eui=recipient.hex().upper(), code=code)
            if verdict["relay"]:
                self.tunnels.send(int.from_bytes(recipient, "big"), data, sleepy=verdict["type"] == SLEEPY)
            return
        if self.link.call("wan.device", hex=data.hex())["sent"]:
            self._to_dcc(data)

    def _to_dcc(self, data: bytes) -> None:
        if self.device_sink is not None:
            self.device_sink(data)

    def _next_tsn(self) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn

    def set_wan(self, up: bool) -> dict:
        return self.link.call("wan.set", up=up)

    def set_time_valid(self, valid: bool) -> None:
        """Bench action: the CH has (True) or has lost (False) its Network Time, as its Time cluster then says [I: the
        emulated CH's clock stays the run's clock; only the validity it reports changes]."""
        self.time_valid = valid

    # ------------------------------------------------------------------ board events
    def _on_board_event(self, name: str, data: dict) -> None:
        if name == "alert" and self.alert_sink is not None:
            self.alert_sink(bytes.fromhex(data["hex"]))
        elif name == "device":  # a device's message the board held while the WAN was down
            self._to_dcc(bytes.fromhex(data["hex"]))
        elif name == "boot":  # power-on: request the tunnels again
            self.tunnels.power_on()
        elif name == "devlog.added" and "never_permit" not in self.defects:
            eui = int(data["eui"], 16)
            if "skip_install_code_check" in self.defects:
                key = WELL_KNOWN_TC_KEY
            else:
                key = install_code_link_key(bytes.fromhex(data["ic"]))
            period = PERMIT_FOREVER if "ignore_join_period" in self.defects else float(data["join_timeout"])
            self.radio.permit_joining(eui, key, period)
        elif name == "devlog.removed" and "keep_permit_after_remove" not in self.defects:
            eui = int(data["eui"], 16)
            self.radio.remove_device(eui)
            self.sessions.pop(eui, None)
            self.tunnels.forget(eui)

    # ------------------------------------------------------------------ radio events
    def _on_join_event(self, event: JoinEvent) -> None:
        if event.kind == "denied" and "admit_unlisted" in self.defects:
            self.radio.permit_joining(event.eui, WELL_KNOWN_TC_KEY, 60.0)

    def _on_message(self, message: Message) -> None:
        try:
            if isinstance(message, ApsMessage) and (self.mirror.handles(message) or self.tunnels.handles(message)):
                return
            if isinstance(message, InterPanMessage):
                if message.cluster == kf.CLUSTER_ID:
                    self._interpan_key_establishment(message)
                elif message.cluster == local_delivery.TUNNELING_CLUSTER:
                    self._local_command(message)
            elif message.profile == zdo.PROFILE_ZDO and message.cluster == zdo.MATCH_DESC_REQ:
                self._match_desc(message)
            elif message.cluster == kf.CLUSTER_ID and zcl.decode(message.payload).frame_type == zcl.GLOBAL:
                self._read_attributes(message)
            elif message.cluster == kf.CLUSTER_ID:
                self._key_establishment(message)
            elif message.cluster == ota.CLUSTER_ID:
                self.ota_server.on_message(message)
            elif message.cluster == time_cluster.CLUSTER and message.profile != zdo.PROFILE_ZDO:
                self._time(message)
        except InputError as exc:  # a malformed frame from a joiner is dropped, as a device would
            self.link.call("log", text=f"dropped a malformed frame from {message.src:016X}: {exc}")

    def _ota_transferred(self, device: int, status: int, header: OtaHeader) -> None:
        """A device ended its download: the board reports it to the DCC with CCS08."""
        code = TRANSFER_CODES.get(status, TRANSFER_CODES[None])
        self.link.call("ota.transferred", eui=f"{device:016X}", file_version=header.file_version, response_code=code)

    def _match_desc(self, message: ApsMessage) -> None:
        """ZDO Match_Desc: our Key Establishment server endpoint, when that is what the joiner looks for."""
        req = zdo.MatchDescReq.decode(message.payload)
        wanted = req.profile == kf.PROFILE_ID and kf.CLUSTER_ID in req.in_clusters
        rsp = zdo.MatchDescRsp(req.tsn, zdo.SUCCESS, 0x0000, (KE_ENDPOINT,) if wanted else ())
        self.radio.send_aps(message.src, zdo.MATCH_DESC_RSP, rsp.encode(), profile=zdo.PROFILE_ZDO, src_ep=0,
                            dst_ep=0, aps_security=False, wait=False)

    def _read_attributes(self, message: ApsMessage) -> None:
        """ZCL Read Attributes on the KE cluster: KeyEstablishmentSuite (enum16 bitmap of our suites)."""
        request = zcl.decode(message.payload)
        if request.command != zcl.READ_ATTRIBUTES:
            return
        records = []
        for attr in zcl.read_attribute_ids(request.payload):
            if attr == kf.ATTR_SUITE:
                suites = 1 << (self.credentials.suite - 1)
                records.append((attr, zcl.STATUS_SUCCESS, zcl.ENUM16, suites.to_bytes(2, "little")))
            else:
                records.append((attr, zcl.STATUS_UNSUPPORTED_ATTRIBUTE, None, b""))
        self.radio.send_aps(message.src, kf.CLUSTER_ID, zcl.read_attributes_response(request.tsn, records),
                            src_ep=KE_ENDPOINT, dst_ep=message.src_ep, aps_security=False, wait=False)

    def _time(self, message: ApsMessage) -> None:
        """ZCL Read Attributes on the Time cluster: the CH's TimeStatus."""
        request = zcl.decode(message.payload)
        if request.frame_type == zcl.GLOBAL and request.command == zcl.READ_ATTRIBUTES:
            self.radio.send_aps(message.src, time_cluster.CLUSTER, time_cluster.read_response(request.tsn,
                                                                                               self.time_valid),
                                src_ep=message.dst_ep, dst_ep=message.src_ep, aps_security=False, wait=False)

    def _key_establishment(self, message: ApsMessage) -> None:
        """CBKE with a joiner over APS (NWK security only)."""
        def send(frame: bytes) -> None:
            self.radio.send_aps(message.src, kf.CLUSTER_ID, frame, src_ep=KE_ENDPOINT, dst_ep=message.src_ep,
                                aps_security=False, wait=False)

        key = self._ke_step(self.sessions, message.src, message.payload, send)
        if key is not None:
            self._key_established(message.src, key)

    def _interpan_key_establishment(self, message: InterPanMessage) -> None:
        """CBKE with an HHT over inter-PAN, answered only within the window after the CH's power-on."""
        session = self.interpan_sessions.get(message.src)
        if session is None or session.done or initiate_in(message.payload) is not None:
            window = self.link.call("interpan.allowed")
            self.interpan_attempts.append((self.clock.now(), message.src, window))
            if not window["allowed"]:
                self.ke_log.append(KeFrame(self.clock.now(), "rx", message.src, message.payload))
                return

        def send(frame: bytes) -> None:
            self.radio.send_interpan(message.src_pan, message.src, kf.CLUSTER_ID, frame)

        key = self._ke_step(self.interpan_sessions, message.src, message.payload, send)
        if key is not None:
            self.interpan_keys[message.src] = key
            self.radio.set_interpan_key(message.src, key)

    def _local_command(self, message: InterPanMessage) -> None:
        """A GBCS command an HHT delivers locally: only APS-secured with the key of a completed inter-PAN CBKE;
        the board checks and runs it as for the WAN, knowing which HHT brought it; the response goes back."""
        if not message.aps_secured or message.src not in self.interpan_keys:
            self.link.call("log", text=f"dropped an unsecured local command from {message.src:016X}")
            return
        tsn, command = local_delivery.unwrap(message.payload, to_server=True)
        answer = self.link.call("gbcs.command", hex=command.hex(), via=f"{message.src:016X}")
        if answer.get("response"):
            reply = local_delivery.wrap(tsn, bytes.fromhex(answer["response"]), to_server=False)
            self.radio.send_interpan(message.src_pan, message.src, local_delivery.TUNNELING_CLUSTER, reply,
                                     link_key=self.interpan_keys[message.src])

    def _ke_step(self, sessions: dict[int, ke.Responder], partner: int, frame: bytes,
                 send: Callable[[bytes], None]) -> bytes | None:
        """Feed one KE frame to the partner's responder session (a new one for a new exchange: after the last one
        ended, or when the partner starts again with a fresh Initiate), send what it answers; the established key
        when the exchange has just completed."""
        now = self.clock.now()
        self.ke_log.append(KeFrame(now, "rx", partner, frame))
        session = sessions.get(partner)
        if session is None or session.done or initiate_in(frame) is not None:
            session = sessions[partner] = self._responder(partner, frame)
        for out in session.receive(frame, now):
            self.ke_log.append(KeFrame(self.clock.now(), "tx", partner, out))
            send(out)
        return session.key if session.done else None

    def _responder(self, partner: int, first_frame: bytes) -> ke.Responder:
        offered = certificate_in(first_frame) if self.defects else None
        trusted = self.trusted_issuers
        if offered is not None and "accept_foreign_ca" in self.defects:
            trusted += (offered.issuer,)
        config = ke.Config(trusted_issuers=trusted, check_validity="accept_expired_cert" not in self.defects)
        # A CHF that ignores the subject takes the certificate's word for who the partner is.
        subject = offered.subject if offered is not None and "ignore_cert_subject" in self.defects else None
        return ke.Responder(self.identity.eui, subject or partner.to_bytes(8, "big"), [self.credentials], config)

    def _key_established(self, partner: int, key: bytes) -> None:
        """CBKE done: the new link key replaces the TC link key; the board records the join (second CS14)."""
        self.radio.set_link_key(partner, key)
        try:
            self.link.call("devlog.joined", eui=f"{partner:016X}")
        except BoardError as exc:
            if exc.code != "not_in_log":
                raise
            # Only a defective CHF gets here: it let a device it does not log complete a join.
            self.link.call("log", text=f"joined {partner:016X}, which is not in the CHF Device Log")
            return
        entry = next((e for e in self.link.call("devlog.get")["log"] if e["eui"] == f"{partner:016X}"), None)
        if entry is not None and entry.get("type") in TUNNEL_SERVERS and "no_tunnel_request" not in self.defects:
            # once the device's side of CBKE is surely over (its last APS retransmissions), not in its middle
            self.tunnels.open_later(partner, TUNNEL_SETTLE)
