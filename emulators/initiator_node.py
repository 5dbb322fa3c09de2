"""What the host halves of CBKE initiators (HAN devices, the HHT) share: their board link, radio, identity,
credentials, the clock, the defects they play, the KE frames they exchanged and ZCL sequence numbers."""
from __future__ import annotations

from typing import Callable

from emulators.ke_session import KeFrame, issuer_of, run_initiator
from emulators.provision import HanIdentity
from harness.zse import ke
from rig.boardlink import BoardLink
from rig.clock import Clock
from rig.radios.protocol import Radio

KE_ATTEMPTS = 3  # key establishments a device starts before it gives up on a partner that does not answer


class InitiatorNode:
    def __init__(self, link: BoardLink, radio: Radio, identity: HanIdentity, clock: Clock, *,
                 defects: tuple[str, ...] = (), credentials: ke.Credentials | None = None):
        self.link = link
        self.radio = radio
        self.identity = identity
        self.clock = clock
        self.defects = set(defects)
        self.credentials = credentials or identity.cbke
        self.ke_log: list[KeFrame] = []
        self._tsn = 0

    def pump(self) -> None:
        """Take the board's events (kept for evidence by the link log)."""
        self.link.events()

    def _next_tsn(self) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn

    def _initiator(self, partner: int, suites: int) -> ke.Initiator:
        return ke.Initiator(self.identity.eui, partner.to_bytes(8, "big"), [self.credentials], suites, ke.Config())

    def _run_ke(self, partner: int, suites: int, timeout: float, send: Callable[[bytes], None],
                receive: Callable[[float], bytes | None]) -> ke.Initiator:
        """CBKE as initiator with `partner`, started again (a fresh Initiate) while an attempt ends without an
        answer (a frame of it lost), up to `KE_ATTEMPTS` times: the last session."""
        for _ in range(KE_ATTEMPTS):
            session = self._initiator(partner, suites)
            run_initiator(session, partner, self.clock, timeout, self._next_tsn(), send, receive, self.ke_log,
                          self._defect_hook(session))
            if not session.timed_out and (session.key is not None or session.status is not None):
                return session
        return session

    def _defect_hook(self, session: ke.Initiator):
        """Called with each received KE frame: the 'accept_foreign_ca' defect trusts whatever issuer it sees."""
        def hook(frame: bytes) -> None:
            if "accept_foreign_ca" in self.defects and session.state == ke.WAIT_INIT_RSP:
                session.config.trusted_issuers = issuer_of(frame)
        return hook
