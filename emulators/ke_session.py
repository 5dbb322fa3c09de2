"""Key Establishment over the radio: a record of every KE frame each emulator sends or receives, so tests can
check what a device under test answered (e.g. that it terminated with UNKNOWN_ISSUER at once)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from harness.errors import InputError
from harness.zse import ke
from harness.zse import certificate as cert_mod
from harness.zse import ke_frames as kf


@dataclass(frozen=True)
class KeFrame:
    time: float
    direction: str   # "rx" or "tx", seen from the emulator that logged it
    peer: int        # partner EUI-64
    frame: bytes

    def decoded(self) -> kf.Frame | None:
        try:
            return kf.decode(self.frame, None)
        except InputError:
            return None

    @property
    def command(self) -> str:
        d = self.decoded()
        return type(d.command).__name__ if d else "malformed"

    @property
    def terminate_status(self) -> int | None:
        d = self.decoded()
        return d.command.status if d and isinstance(d.command, kf.Terminate) else None


def initiate_in(frame: bytes) -> kf.Initiate | None:
    """The Initiate Key Establishment Request a KE frame is; None for anything else."""
    try:
        command = kf.decode(frame).command
    except (InputError, ValueError):
        return None
    return command if isinstance(command, kf.Initiate) else None


def certificate_in(frame: bytes) -> cert_mod.Certificate | None:
    """The certificate an Initiate KE frame carries; None for anything else. Used only by emulators playing
    certificate defects ('accept_foreign_ca', 'ignore_cert_subject')."""
    initiate = initiate_in(frame)
    try:
        return None if initiate is None else cert_mod.decode(initiate.certificate)
    except (InputError, ValueError):
        return None


def issuer_of(frame: bytes) -> tuple[bytes, ...]:
    """The certificate issuer carried by an Initiate KE frame, as a one-element tuple; () for anything else."""
    cert = certificate_in(frame)
    return () if cert is None else (cert.issuer,)


def run_initiator(session: ke.Initiator, partner: int, clock, timeout: float, tsn: int,
                  send: Callable[[bytes], None], receive: Callable[[float], bytes | None], log: list[KeFrame],
                  before_receive: Callable[[bytes], None] | None = None) -> None:
    """Drive an initiator session to its end over any transport: `send(frame)`, and `receive(timeout)` giving the
    partner's next KE frame or None. Every frame goes to `log`; `before_receive` lets a defect act first."""
    deadline = clock.now() + timeout
    for frame in session.start(clock.now(), tsn=tsn):
        log.append(KeFrame(clock.now(), "tx", partner, frame))
        send(frame)
    while not session.done and clock.now() < deadline:
        frame = receive(min(1.0, deadline - clock.now()))
        session.poll(clock.now())
        if frame is None or session.done:
            continue
        log.append(KeFrame(clock.now(), "rx", partner, frame))
        if before_receive is not None:
            before_receive(frame)
        for out in session.receive(frame, clock.now()):
            log.append(KeFrame(clock.now(), "tx", partner, out))
            send(out)
