"""Host half of an emulated HAN device that joins the CHF's network: ESME, GSME, PPMID (and HHT once it has
whitelisted itself). Joining is: find the HAN by its extended PAN ID (= the CH's HAN EUI-64), associate, take the
network key from the APS Transport-Key protected by the install-code key, then run CBKE with the trust centre's
Key Establishment server and replace the trust-centre link key with the key CBKE derived.
"""
from __future__ import annotations

from dataclasses import dataclass

from emulators.ke_session import KeFrame, issuer_of
from emulators.provision import HanIdentity
from harness.zse import ke
from harness.zse import ke_frames as kf
from rig.boardlink import BoardLink
from rig.clock import Clock
from rig.radios.protocol import ApsMessage, JoinFailed, Radio

SUITE2_BITMAP = 0x0002
DEFECTS = {
    "accept_foreign_ca": "continues key establishment with a certificate from an issuer it does not trust",
    "keep_preconfigured_key": "keeps using the install-code link key after CBKE instead of the new key",
}


@dataclass(frozen=True)
class JoinOutcome:
    """How a join attempt ended: `stage` is where it stopped ('network', 'cbke' or 'joined')."""

    joined: bool
    stage: str
    detail: str = ""
    ke_status: int | None = None
    link_key: bytes | None = None


class HanDeviceEmulator:
    def __init__(self, link: BoardLink, radio: Radio, identity: HanIdentity, clock: Clock, *,
                 defects: tuple[str, ...] = (), credentials: ke.Credentials | None = None):
        self.link = link
        self.radio = radio
        self.identity = identity
        self.clock = clock
        self.defects = set(defects)
        self.credentials = credentials or identity.cbke
        self.ke_log: list[KeFrame] = []

    def pump(self) -> None:
        """Take the board's events (kept for evidence by the link log)."""
        self.link.events()

    def join(self, chf_eui: int, *, link_key: bytes | None = None, timeout: float = 30.0) -> JoinOutcome:
        """Join the HAN of the CH `chf_eui` and run CBKE with its trust centre."""
        try:
            self.radio.join(chf_eui, link_key or self.identity.link_key, timeout=timeout)
        except JoinFailed as exc:
            return JoinOutcome(False, "network", str(exc))
        return self.establish_key(chf_eui, timeout=timeout)

    def establish_key(self, partner: int, *, timeout: float = 30.0) -> JoinOutcome:
        """CBKE as initiator with `partner` over APS (NWK security only, as SE requires for KE frames)."""
        session = ke.Initiator(self.identity.eui, partner.to_bytes(8, "big"), [self.credentials],
                               SUITE2_BITMAP, ke.Config())
        self._send(partner, session.start(self.clock.now()))
        deadline = self.clock.now() + timeout
        while not session.done and self.clock.now() < deadline:
            message = self.radio.receive(timeout=min(1.0, deadline - self.clock.now()))
            session.poll(self.clock.now())
            if not isinstance(message, ApsMessage) or message.cluster != kf.CLUSTER_ID or message.src != partner:
                continue
            self.ke_log.append(KeFrame(self.clock.now(), "rx", partner, message.payload))
            if "accept_foreign_ca" in self.defects and session.state == ke.WAIT_INIT_RSP:
                session.config.trusted_issuers = issuer_of(message.payload)
            self._send(partner, session.receive(message.payload, self.clock.now()))
        if session.key is None:
            status = None if session.status is None else int(session.status)
            return JoinOutcome(False, "cbke", session.reason or "key establishment did not finish", status)
        if "keep_preconfigured_key" not in self.defects:
            self.radio.set_link_key(partner, session.key)
        self.link.call("log", text=f"joined HAN of {partner:016X}; CBKE link key installed")
        return JoinOutcome(True, "joined", "", None, session.key)

    def _send(self, partner: int, frames: list[bytes]) -> None:
        for frame in frames:
            self.ke_log.append(KeFrame(self.clock.now(), "tx", partner, frame))
            self.radio.send_aps(partner, kf.CLUSTER_ID, frame, aps_security=False)

