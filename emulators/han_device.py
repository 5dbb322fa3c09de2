"""Host half of an emulated HAN device that joins the CHF's network: ESME, GSME, PPMID (and HHT once it has
whitelisted itself). Joining is: find the HAN by its extended PAN ID (= the CH's HAN EUI-64), associate, take the
network key from the APS Transport-Key protected by the install-code key, then run CBKE with the trust centre's
Key Establishment server and replace the trust-centre link key with the key CBKE derived.
"""
from __future__ import annotations

from dataclasses import dataclass

from emulators.ch_time import ChTimeClient
from emulators.device_tunnel import DeviceTunnel
from emulators.han_prepayment import HanPrepayment
from emulators.han_switching import HanSwitching
from emulators.initiator_node import InitiatorNode
from emulators.ota_client import OtaClientNode
from harness.errors import InputError
from harness.zigbee import onoff, zcl, zdo
from harness.zse import ke_frames as kf
from rig.boardlink import BoardError
from rig.radios.protocol import ApsMessage, DeliveryFailed, JoinFailed

SUITE2_BITMAP = 0x0002
JOIN_ATTEMPT = 5.0         # seconds one join attempt (scan, associate, wait for the network key) may take
JOIN_RETRY_INTERVAL = 1.0  # seconds between join attempts
SLEEPY_ROLES = ("gsme",)
CARRIED_ROLES = ("esme", "gsme", "ppmid", "hcalcs")  # devices GBCS reaches through a tunnel (not the HHT)
PREPAYMENT_ROLES = ("esme", "ppmid")  # devices that exchange ZSE Prepayment commands with each other
SWITCHED_ROLES = ("hcalcs",)  # devices their ESME switches with On/Off commands
TIME_CLIENT_ROLES = ("esme",)  # devices that read their CH's time status over the HAN
DEFECTS = {
    "accept_foreign_ca": "continues key establishment with a certificate from an issuer it does not trust",
    "keep_preconfigured_key": "keeps using the install-code link key after CBKE instead of the new key",
}
GSME_DEFECTS = {"mirror_never_updated": "fills its mirror on the CH once and never reports to it again"}


@dataclass(frozen=True)
class JoinOutcome:
    """How a join attempt ended: `stage` is where it stopped ('network', 'discovery', 'cbke' or 'joined')."""

    joined: bool
    stage: str
    detail: str = ""
    ke_status: int | None = None
    link_key: bytes | None = None


class HanDeviceEmulator(InitiatorNode):
    tunnel: DeviceTunnel | None = None
    _zse: HanPrepayment | None = None
    _switching: HanSwitching | None = None
    _ch_time: ChTimeClient | None = None

    def pump(self) -> None:
        """The board's alerts go up to the CHF through the tunnel (once there is one); what a PPMID's board sends
        its ESME, and an ESME's board its HCALCS, goes on the HAN; what a PPMID sends its GSME (a whole PCS01/PCS02)
        goes up the tunnel for the CH to relay."""
        for event in self.link.events():
            if event.name == "alert" and self.tunnel is not None:
                self.tunnel.send_up(bytes.fromhex(event.data["hex"]))
            elif event.name == "han.send" and self.tunnel is not None and "hex" in event.data:
                self.tunnel.send_up(bytes.fromhex(event.data["hex"]))  # PCS01/PCS02: the CH relays it to the GSME
            elif event.name == "han.send" and self.tunnel is not None:
                if event.data.get("cluster") == onoff.CLUSTER:
                    self._switches().send(event.data)
                else:
                    self._prepayment().send(event.data)

    def _switches(self) -> HanSwitching:
        if self._switching is None:
            self._switching = HanSwitching(self.link, self.radio, self._next_tsn)
        return self._switching

    def _prepayment(self) -> HanPrepayment:
        if self._zse is None:
            self._zse = HanPrepayment(self.link, self.radio, self.identity.role, self._next_tsn)
        return self._zse

    def stop_carriage(self) -> None:
        """Stop serving (or using) the tunnel: no more listening, no more wake-ups."""
        if self.tunnel is not None:
            self.tunnel.stop()
            self.tunnel = None
        if self._ch_time is not None:
            self._ch_time.stop()
            self._ch_time = None
        if getattr(self, "_ota", None) is not None:
            self._ota.own_radio = True  # no tunnel: the OTA client installs its own callback again

    def serve(self, chf_eui: int) -> DeviceTunnel:
        """After joining: carry GBCS through Tunneling with the CHF (server, or client for a sleepy GSME)."""
        self.stop_carriage()
        self.tunnel = DeviceTunnel(self.link, self.radio, self.clock, chf_eui,
                                   sleepy=self.identity.role in SLEEPY_ROLES, next_tsn=self._next_tsn,
                                   mirror_updates="mirror_never_updated" not in self.defects)
        if getattr(self, "_ota", None) is not None:  # a client made before the join: the tunnel routes to it now
            self._route_ota()
        if self.identity.role in PREPAYMENT_ROLES:  # the tunnel owns the radio callback: it hands these over
            self.tunnel.others.append(self._prepayment().on_message)
        if self.identity.role in SWITCHED_ROLES:
            self.tunnel.others.append(self._switches().on_message)
        if self.identity.role in TIME_CLIENT_ROLES:
            self._ch_time = ChTimeClient(self.link, self.radio, self.clock, chf_eui, self._next_tsn)
            self.tunnel.others.append(self._ch_time.on_message)
        self.tunnel.start()
        if self._ch_time is not None:  # a meter reads its CH's time from now on
            self._ch_time.start()
        return self.tunnel

    def ota(self) -> OtaClientNode:
        """The device's OTA Upgrade client (created on first use); while the device carries GBCS its tunnel owns
        the radio callback and routes the OTA cluster to the client."""
        if getattr(self, "_ota", None) is None:
            self._ota = OtaClientNode(self.link, self.radio, self.clock, own_radio=self.tunnel is None)
            if self.tunnel is not None:
                self._route_ota()
        return self._ota

    def _route_ota(self) -> None:
        """The tunnel owns the radio callback: it hands the OTA cluster to the client, which must neither take
        the callback nor clear it when its session ends."""
        assert self.tunnel is not None
        self._ota.own_radio = False
        self.tunnel.others.append(self._ota.on_message)

    def apply_load(self, watts: int) -> None:
        """Bench action: the consumer's load on the meter's supply (gas flow as power on a GSME); on a real meter a
        load bank or the operator applies it."""
        self.link.call("stim.load", watts=watts)

    def drift_clock(self, seconds: int) -> None:
        """Bench action: the meter's own clock runs `seconds` fast (negative: slow) against its CH's time; on a real
        meter, the time it was set to before installation, or a long wait."""
        self.link.call("stim.clock_drift", seconds=seconds)

    def load_trust_anchor(self, cell: str, party: str, key_usage: str, public: str) -> bool:
        """Bench action: the procuring party's loading tool puts `party`'s certificate (its raw public key, with
        `key_usage`) into trust anchor `cell` ("supplier_ds" / "supplier_ka"), as before delivery (AC 3.1); False
        when the meter refuses it for its keyUsage, as the tool reports."""
        try:
            self.link.call("cells.load", cell=cell, eui=party, key_usage=key_usage, public=public)
        except BoardError as exc:
            if exc.code == "key_usage_mismatch":
                return False
            raise
        return True

    def forge_next_pcs(self) -> None:
        """Bench action on the rig's PPMID: its next PCS01/PCS02 goes with a corrupted MAC, as a forger on the HAN
        would send it (for the GSME's MAC check to be shown; a real PPMID is never asked this)."""
        self.link.call("stim.bad_mac")

    def tamper(self) -> None:
        """Bench action: unauthorised physical access to the meter (on a real meter the operator opens its cover)."""
        self.link.call("stim.tamper")

    def power_loss(self) -> None:
        """Bench action: the GSME loses (or is about to lose) its battery power (a real one: the operator)."""
        self.link.call("stim.power_loss")

    def download_firmware(self, chf_eui: int, *, timeout: float = 1800.0) -> None:
        """The meter fetches the image its CH offers over the ZCL OTA cluster (a real meter does so on its own when
        notified); what the download shows is judged from the DCC (the receipt alert) and the air."""
        self.ota().run(chf_eui, timeout=timeout)

    def join(self, chf_eui: int, *, link_key: bytes | None = None, timeout: float = 30.0) -> JoinOutcome:
        """Join the HAN of the CH `chf_eui` and run CBKE with its trust centre."""
        self.stop_carriage()  # joining reads the radio's queue: the old tunnel stops listening
        deadline = self.clock.now() + timeout
        while True:  # a device keeps scanning and asking to join until it gives up
            try:
                self.radio.join(chf_eui, link_key or self.identity.link_key,
                                timeout=min(JOIN_ATTEMPT, deadline - self.clock.now()))
                break
            except JoinFailed as exc:
                if self.clock.now() + JOIN_RETRY_INTERVAL >= deadline:
                    return JoinOutcome(False, "network", str(exc))
                self.clock.advance(JOIN_RETRY_INTERVAL)
        stage = "discovery"
        try:
            found = self.find_ke_server(chf_eui, timeout=timeout)
            if isinstance(found, JoinOutcome):
                return found
            stage = "cbke"
            outcome = self.establish_key(chf_eui, *found, timeout=timeout)
        except DeliveryFailed as exc:  # the trust centre did not acknowledge our frames
            outcome = JoinOutcome(False, stage, str(exc))
        if not outcome.joined:  # a device that could not establish its key with the trust centre leaves the HAN
            self.radio.leave()
        return outcome

    def _await(self, partner: int, cluster: int, deadline: float) -> ApsMessage | None:
        """The next message from `partner` on `cluster`, advancing the clock until `deadline`; None on timeout."""
        while self.clock.now() < deadline:
            message = self.radio.receive(timeout=min(1.0, deadline - self.clock.now()))
            if isinstance(message, ApsMessage) and message.src == partner and message.cluster == cluster:
                return message
        return None

    def find_ke_server(self, partner: int, *, timeout: float = 30.0) -> tuple[int, int] | JoinOutcome:
        """ZDO Match_Desc for a Key Establishment server on the trust centre, then its KeyEstablishmentSuite
        attribute: (endpoint, suites bitmap), or a failed JoinOutcome at stage 'discovery'."""
        deadline = self.clock.now() + timeout
        request = zdo.MatchDescReq(self._next_tsn(), 0x0000, kf.PROFILE_ID, (kf.CLUSTER_ID,))
        self.radio.send_aps(partner, zdo.MATCH_DESC_REQ, request.encode(), profile=zdo.PROFILE_ZDO, src_ep=0,
                            dst_ep=0, aps_security=False)
        reply = self._await(partner, zdo.MATCH_DESC_RSP, deadline)
        try:
            endpoints = zdo.MatchDescRsp.decode(reply.payload).endpoints if reply else ()
            if not endpoints:
                return JoinOutcome(False, "discovery", "the trust centre has no Key Establishment server")
            self.radio.send_aps(partner, kf.CLUSTER_ID, zcl.read_attributes(self._next_tsn(), [kf.ATTR_SUITE]),
                                dst_ep=endpoints[0], aps_security=False)
            reply = self._await(partner, kf.CLUSTER_ID, deadline)
            if reply is None:
                return JoinOutcome(False, "discovery", "no answer to Read Attributes (KeyEstablishmentSuite)")
            frame = zcl.decode(reply.payload)
            status, _, value = zcl.parse_read_attributes_response(frame.payload).get(kf.ATTR_SUITE, (None, None, b""))
        except InputError as exc:
            return JoinOutcome(False, "discovery", f"malformed discovery answer: {exc}")
        if status != zcl.STATUS_SUCCESS or len(value) != 2:
            return JoinOutcome(False, "discovery", "KeyEstablishmentSuite attribute not readable")
        return endpoints[0], int.from_bytes(value, "little")

    def establish_key(self, partner: int, endpoint: int = 1, suites: int = SUITE2_BITMAP, *,
                      timeout: float = 30.0) -> JoinOutcome:
        """CBKE as initiator with `partner`'s KE server on `endpoint` over APS (NWK security only, as SE requires
        for KE frames); `suites` is the server's KeyEstablishmentSuite attribute."""
        def send(frame: bytes) -> None:
            self.radio.send_aps(partner, kf.CLUSTER_ID, frame, dst_ep=endpoint, aps_security=False)

        def receive(wait: float) -> bytes | None:
            message = self._await(partner, kf.CLUSTER_ID, self.clock.now() + wait)
            return None if message is None else message.payload

        session = self._run_ke(partner, suites, timeout, send, receive)
        if session.key is None:
            status = None if session.status is None else int(session.status)
            return JoinOutcome(False, "cbke", session.reason or "key establishment did not finish", status)
        if "keep_preconfigured_key" not in self.defects:
            self.radio.set_link_key(partner, session.key)
        self.link.call("log", text=f"joined HAN of {partner:016X}; CBKE link key installed")
        if self.identity.role in CARRIED_ROLES:
            self.serve(partner)
            self.link.call("han.joined")
        return JoinOutcome(True, "joined", "", None, session.key)
