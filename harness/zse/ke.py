"""Key Establishment initiator and responder state machines, sans-IO and transport-neutral.

`start(now)` and `receive(frame, now)` return the ZCL frames to send (APS unicast or inter-PAN, the caller's
choice); `poll(now)` enforces the partner's advertised generate times plus an allowance. The outcome is `key`
(the new link key for `partner`) or `status` (the Terminate status sent or received); never both.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from harness.errors import InputError
from harness.zse import cbke, ecqv
from harness.zse import certificate as cert_mod
from harness.zse import ke_frames as kf
from harness.zse.ke_frames import Status
from harness.zse.curves import Point
from harness.zse.suites import SUITES, Suite, from_bit, negotiate
from harness.zse.suites import suite as get_suite


@lru_cache(maxsize=32)
def _ca_point(suite: int, ca_public_key: bytes) -> Point:
    """Decompressed CA key (cached: every session with the same CA needs it)."""
    return get_suite(suite).curve.decompress(ca_public_key, field="ca_public_key")


@dataclass(frozen=True)
class Credentials:
    """This device's CBKE material for one suite."""

    suite: int
    certificate: bytes
    private_key: int
    ca_public_key: bytes


@dataclass
class Config:
    ephemeral_time: int = 11          # seconds we advertise for generating ephemeral data
    confirm_time: int = 16            # seconds we advertise for generating the confirm message
    allowance: float = 10.0           # added to the partner's advertised time before we give up
    wait_time: int = 30               # WaitTime we put in our Terminate
    trusted_issuers: tuple[bytes, ...] = ()   # besides the issuer of our own certificate
    check_validity: bool = True       # reject partner certificates expired or not yet valid at `now`
    rng: Callable[[int], bytes] = os.urandom
    ephemeral_keys: dict[int, int] = field(default_factory=dict)  # suite -> fixed ephemeral key (test vectors)


IDLE, WAIT_INIT_RSP, WAIT_EPH, WAIT_CONFIRM, DONE = "idle", "wait_initiate", "wait_ephemeral", "wait_confirm", "done"


class _Fail(Exception):
    def __init__(self, status: Status, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _Session:
    """State shared by both roles."""

    role = ""

    def __init__(self, local_eui64: bytes, partner_eui64: bytes, credentials: list[Credentials],
                 config: Config | None = None):
        if len(local_eui64) != 8 or len(partner_eui64) != 8:
            raise ValueError("EUI-64s are 8 octets, big-endian")
        self.local = bytes(local_eui64)
        self.partner = bytes(partner_eui64)
        self.creds = {c.suite: c for c in credentials}
        self.config = config or Config()
        self.supported = sum(SUITES[s].bit for s in self.creds)
        self.state = IDLE
        self.key: bytes | None = None
        self.status: Status | None = None
        self.peer_terminated = False
        self.peer_wait_time: int | None = None    # WaitTime of a Terminate received from the partner
        self.timed_out = False
        self.reason = ""
        self.suite: Suite | None = None
        self.deadline: float | None = None
        self.now: float | None = None
        self._tsn = 0
        self._peer_times = (0, 0)

    @property
    def done(self) -> bool:
        return self.state == DONE

    # ---- helpers -----------------------------------------------------------------------------------------------
    def _frame(self, command: kf.Command) -> bytes:
        return kf.Frame(self._tsn, self.role == cbke.RESPONDER, command).encode()

    def _initiate(self) -> kf.Initiate:
        cfg, cred = self.config, self.creds[self.suite.number]
        return kf.Initiate(self.suite.bit, cfg.ephemeral_time, cfg.confirm_time, cred.certificate)

    def _finish_fail(self, status: Status, reason: str, send: bool = True) -> list[bytes]:
        self.state, self.status, self.reason, self.key, self.deadline = DONE, status, reason, None, None
        if not send:
            return []
        return [self._frame(kf.Terminate(int(status), self.config.wait_time, self.supported))]

    def _set_deadline(self, seconds: int) -> None:
        self.deadline = None if self.now is None else self.now + seconds + self.config.allowance

    def _check_partner_cert(self, raw: bytes) -> None:
        """Certificate checks; sets self.peer_static. Raises _Fail with the Terminate status."""
        cred = self.creds[self.suite.number]
        try:
            cert = cert_mod.decode(raw, self.suite.number)
        except InputError as exc:
            raise _Fail(Status.INVALID_CERTIFICATE, f"certificate: {exc}") from None
        own_issuer = cert_mod.decode(cred.certificate, self.suite.number).issuer
        if cert.issuer != own_issuer and cert.issuer not in self.config.trusted_issuers:
            raise _Fail(Status.UNKNOWN_ISSUER, f"issuer {cert.issuer.hex().upper()} is not trusted")
        if cert.subject != self.partner:
            raise _Fail(Status.INVALID_CERTIFICATE,
                        f"subject {cert.subject.hex().upper()} is not the partner {self.partner.hex().upper()}")
        try:
            ecqv.check_fields(cert)
        except InputError as exc:
            raise _Fail(Status.INVALID_CERTIFICATE, str(exc)) from None
        if (self.config.check_validity and self.now is not None and cert.suite == 2
                and not cert.valid_at(self.now)):
            raise _Fail(Status.INVALID_CERTIFICATE, "certificate is expired or not yet valid")
        try:
            self.peer_static = ecqv.reconstruct(cert, _ca_point(self.suite.number, cred.ca_public_key))
        except InputError as exc:
            raise _Fail(Status.INVALID_CERTIFICATE, str(exc)) from None

    def _make_ephemeral(self) -> bytes:
        curve = self.suite.curve
        d = self.config.ephemeral_keys.get(self.suite.number)
        while not d:
            d = int.from_bytes(self.config.rng(curve.scalar_octets + 8), "big") % curve.n
        self.d_eph = d
        self.q_eph = curve.base_mul(d)
        return curve.compress(self.q_eph)

    def _derive(self, peer_eph_raw: bytes) -> cbke.Derived:
        curve = self.suite.curve
        try:
            peer_eph = curve.decompress(peer_eph_raw, field="ephemeral_data")
        except InputError as exc:
            raise _Fail(Status.BAD_MESSAGE, str(exc)) from None
        cred = self.creds[self.suite.number]
        try:
            return cbke.derive(curve, self.role, d_static=cred.private_key, d_eph=self.d_eph, q_eph=self.q_eph,
                               own_id=self.local, peer_static=self.peer_static, peer_eph=peer_eph,
                               peer_id=self.partner)
        except InputError as exc:
            raise _Fail(Status.BAD_MESSAGE, str(exc)) from None

    # ---- public interface --------------------------------------------------------------------------------------
    def poll(self, now: float) -> list[bytes]:
        """Time has moved to `now`: give up (no key, nothing sent) if the partner's deadline passed."""
        self.now = now
        if self.state in (IDLE, DONE) or self.deadline is None or now <= self.deadline:
            return []
        self.timed_out = True
        self.state, self.reason, self.key, self.deadline = DONE, f"timeout in state {self.state}", None, None
        return []

    def receive(self, frame: bytes, now: float | None = None) -> list[bytes]:
        """Handle one received KE ZCL frame; returns frames to send."""
        if now is not None:
            self.now = now
        if self.state == DONE:
            return []
        point_octets = self.suite.curve.point_octets if self.suite else None
        try:
            decoded = kf.decode(frame, point_octets)
        except InputError as exc:
            return self._finish_fail(Status.BAD_MESSAGE, f"malformed frame: {exc}")
        if self.role == cbke.RESPONDER:
            self._tsn = decoded.tsn            # responses echo the request's TSN
        if decoded.from_server == (self.role == cbke.RESPONDER):
            return self._finish_fail(Status.BAD_MESSAGE, "frame sent in the wrong direction")
        if isinstance(decoded.command, kf.Terminate):
            self.peer_terminated = True
            self.peer_wait_time = decoded.command.wait_time
            try:
                status = Status(decoded.command.status)
            except ValueError:
                status = Status.BAD_MESSAGE
            return self._finish_fail(status, f"partner terminated (status 0x{decoded.command.status:02X})",
                                     send=False)
        try:
            return self._handle(decoded.command)  # defined by Initiator / Responder
        except _Fail as fail:
            return self._finish_fail(fail.status, fail.reason)


class Initiator(_Session):
    """The client side (U). `partner_suites` is the partner's KeyEstablishmentSuite attribute."""

    role = cbke.INITIATOR

    def __init__(self, local_eui64: bytes, partner_eui64: bytes, credentials: list[Credentials],
                 partner_suites: int, config: Config | None = None):
        super().__init__(local_eui64, partner_eui64, credentials, config)
        self.partner_suites = partner_suites

    def _frame(self, command: kf.Command) -> bytes:
        frame = super()._frame(command)
        self._tsn = (self._tsn + 1) & 0xFF      # a fresh TSN for each request
        return frame

    def start(self, now: float | None = None, tsn: int = 0) -> list[bytes]:
        """Begin: the Initiate KE Request, or nothing (status UNSUPPORTED_SUITE) when no suite is common."""
        self.now, self._tsn = now, tsn
        self.suite = negotiate(self.supported, self.partner_suites)
        if self.suite is None:
            return self._finish_fail(Status.UNSUPPORTED_SUITE, "no common suite", send=False)
        self.state = WAIT_INIT_RSP
        self.deadline = None if now is None else now + self.config.allowance
        return [self._frame(self._initiate())]

    def _handle(self, command: kf.Command) -> list[bytes]:
        if self.state == WAIT_INIT_RSP and isinstance(command, kf.Initiate):
            if command.suite != self.suite.bit:
                raise _Fail(Status.BAD_MESSAGE, f"response suite {command.suite} is not the one requested")
            self._check_partner_cert(command.certificate)
            self._peer_times = (command.ephemeral_time, command.confirm_time)
            point = self._make_ephemeral()
            self.state = WAIT_EPH
            self._set_deadline(command.ephemeral_time)
            return [self._frame(kf.EphemeralData(point))]
        if self.state == WAIT_EPH and isinstance(command, kf.EphemeralData):
            self.derived = self._derive(command.point)
            self.state = WAIT_CONFIRM
            self._set_deadline(self._peer_times[1])
            return [self._frame(kf.ConfirmKey(self.derived.mac_u))]
        if self.state == WAIT_CONFIRM and isinstance(command, kf.ConfirmKey):
            if command.mac != self.derived.mac_v:
                raise _Fail(Status.BAD_KEY_CONFIRM, "MACV does not match")
            self.state, self.key, self.deadline = DONE, self.derived.key_data, None
            return []
        raise _Fail(Status.BAD_MESSAGE, f"unexpected {type(command).__name__} in state {self.state}")


class Responder(_Session):
    """The server side (V)."""

    role = cbke.RESPONDER

    def _handle(self, command: kf.Command) -> list[bytes]:
        if self.state == IDLE and isinstance(command, kf.Initiate):
            if bin(command.suite).count("1") != 1:
                raise _Fail(Status.BAD_MESSAGE, f"suite field 0x{command.suite:04X} must name exactly one suite")
            chosen = from_bit(command.suite)
            if chosen is None or not chosen.bit & self.supported:
                raise _Fail(Status.UNSUPPORTED_SUITE, f"suite field 0x{command.suite:04X} is not supported")
            self.suite = chosen
            self._check_partner_cert(command.certificate)
            self._peer_times = (command.ephemeral_time, command.confirm_time)
            self.state = WAIT_EPH
            self._set_deadline(command.ephemeral_time)
            return [self._frame(self._initiate())]
        if self.state == WAIT_EPH and isinstance(command, kf.EphemeralData):
            point = self._make_ephemeral()
            self.derived = self._derive(command.point)
            self.state = WAIT_CONFIRM
            self._set_deadline(self._peer_times[1])
            return [self._frame(kf.EphemeralData(point))]
        if self.state == WAIT_CONFIRM and isinstance(command, kf.ConfirmKey):
            if command.mac != self.derived.mac_u:
                raise _Fail(Status.BAD_KEY_CONFIRM, "MACU does not match")
            self.state, self.key, self.deadline = DONE, self.derived.key_data, None
            return [self._frame(kf.ConfirmKey(self.derived.mac_v))]
        raise _Fail(Status.BAD_MESSAGE, f"unexpected {type(command).__name__} in state {self.state}")
