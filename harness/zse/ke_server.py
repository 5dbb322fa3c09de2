"""Key Establishment server endpoint: one responder session at a time, keyed by partner EUI-64.

A second partner that starts while a session is running gets Terminate NO_RESOURCES with a wait time (the
behaviour Silicon Labs stacks show); established link keys are kept per partner.
"""
from __future__ import annotations

from harness.zse import ke_frames as kf
from harness.zse.ke import Config, Credentials, Responder
from harness.zse.ke_frames import Status


class KeServer:
    """Routes received KE frames to the current `Responder`, starting one per new partner."""

    def __init__(self, local_eui64: bytes, credentials: list[Credentials], config: Config | None = None,
                 busy_wait_time: int = 30):
        self.local = bytes(local_eui64)
        self.credentials = list(credentials)
        self.config = config or Config()
        self.busy_wait_time = busy_wait_time
        self.session: Responder | None = None
        self.keys: dict[bytes, bytes] = {}

    @property
    def busy(self) -> bool:
        return self.session is not None and not self.session.done

    def receive(self, partner_eui64: bytes, frame: bytes, now: float | None = None) -> list[bytes]:
        """Handle a KE frame from `partner_eui64` (8 octets, big-endian); returns frames to send to it."""
        partner = bytes(partner_eui64)
        if self.busy and self.session.partner != partner:
            tsn = frame[1] if len(frame) > 1 else 0
            suites = sum(1 << (c.suite - 1) for c in self.credentials)
            return [kf.Frame(tsn, True, kf.Terminate(int(Status.NO_RESOURCES), self.busy_wait_time, suites)).encode()]
        if not self.busy:
            self.session = Responder(self.local, partner, self.credentials, self.config)
        out = self.session.receive(frame, now)
        if self.session.key is not None:
            self.keys[partner] = self.session.key
        return out

    def poll(self, now: float) -> list[bytes]:
        """Let the running session check its deadline."""
        return self.session.poll(now) if self.session is not None else []
