"""The DCC core reaching any device through its CHF: commands to ESME, GSME, GPF and PPMID go over the WAN to the
CHF, which relays them over the HAN; responses and alerts come back through `on_message` at the virtual time the
device sent them. Every message lands in the transcript; whatever the core refuses lands in `rejected`.

Service requests here: SRV 8.1.1 Commission Device (BAD 7.2.1.6.10; AC 4.11-4.13: only when the CHF is
Commissioned, never for a Suspended, Decommissioned or already Commissioned meter; ECS70 / GCS28, critical; a
successful response makes the meter Commissioned), SRV 8.7 joins (CS03x, BAD 7.2.1.6.12; the joined device inherits
its partner's status) and SRV 8.8 unjoins (CS04x).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from harness.dcc import set_clock
from harness.dcc.core import Content, DccCore, Outgoing, Received
from harness.dcc.errors import Reason, Rejected
from harness.dcc.han import Clock
from harness.dcc.smi import Smi, Status
from harness.errors import ConformanceFailure, InputError
from harness.gbcs import asn1
from harness.gbcs.dlms import DlmsPayload
from harness.gbcs.gbz import GbzPayload
from harness.gbcs.payload import decode_body

Transport = Callable[[bytes], "bytes | None"]
Record = Callable[[str, str, bytes], None]
RESPONSE_TIME = 120.0   # seconds the DCC waits for a device's response (a sleepy GSME answers when it wakes)
WINDOW = 60.0           # seconds either side of now in a Set Clock validity window
CS03A1, CS03A2, CS03B, CS03C, CS04AC, CS04B = 0x000D, 0x00AB, 0x000E, 0x00AF, 0x000F, 0x0010
DEVICE_TYPES = {"gsme": 0, "esme": 1, "chf": 2, "gpf": 3, "hcalcs": 4, "ppmid": 5, "ihd": 6, "cad": 7}
# Device types with no supplier trust anchor cell (BAD Table 11): the ACB originates their commands on the
# requester's behalf (RTDS: CS03A2 and CS03C to the PPMID come from the ACB).
ACB_ORIGINATED = ("ppmid",)
NOT_COMMISSIONABLE = (Status.COMMISSIONED, Status.DECOMMISSIONED, Status.SUSPENDED)
# Responses that arrive with no command outstanding and that the DCC accepts (DUIS: a locally applied UTRN's
# CS01a / CS01b response goes to the supplier as a DCC alert) [I: the N-code the DCC raises is the rig's label].
UNSOLICITED = {0x0007: "CS01a", 0x0097: "CS01b"}
LOCAL_TOP_UP_ALERT = "DCC-CS01-LOCAL"


@dataclass(frozen=True)
class Answer:
    """What a service request got: `ok`, why, the command sent (None when the DCC sent none) and the verified
    response (None when none came)."""

    ok: bool
    detail: str
    command: Outgoing | None = None
    response: Received | None = None


def join_payload(method: int, other: bytes, other_type: int, certificate: bytes | None = None) -> bytes:
    """CS03x content: SEQUENCE {INTEGER join method and role, OCTET STRING other device, INTEGER its type
    [, the other device's KA certificate (DER), as the RTDS CS03C carries]}."""
    fields = b"".join(tlv.encode() for tlv in (asn1.Tlv(b"\x02", bytes([method])), asn1.Tlv(b"\x04", bytes(other)),
                                               asn1.Tlv(b"\x02", bytes([other_type]))))
    return asn1.Tlv(b"\x30", fields + (certificate or b"")).encode()


def unjoin_payload(other: bytes) -> bytes:
    return asn1.Tlv(b"\x04", bytes(other)).encode()


def alert_code(received: Received) -> int | None:
    """The device alert code a Generic (Non) Critical Alert carries: DLMS {code, time} or a GBZ alert header;
    None when its content has neither layout."""
    try:
        body = decode_body(received.header)
    except InputError:
        return None
    if isinstance(body, GbzPayload):
        return body.alert_code
    if isinstance(body, DlmsPayload) and body.data and isinstance(body.data[0].value, list) and body.data[0].value:
        first = body.data[0].value[0]
        return first.value if first.tag == 0x12 else None
    return None


def status_code(received: Received) -> int:
    """The INTEGER status of a CS03x / CS04x response; ConformanceFailure for another layout."""
    try:
        [tlv] = asn1.decode(received.header.payload)
    except (InputError, ValueError) as exc:
        raise ConformanceFailure(f"join/unjoin response is not one DER INTEGER: {exc}") from None
    if tlv.tag != b"\x02" or not tlv.value:
        raise ConformanceFailure(f"join/unjoin response is not a DER INTEGER (tag {tlv.tag.hex().upper()})")
    return int.from_bytes(tlv.value, "big", signed=True)


class DeviceServices:
    def __init__(self, core: DccCore, smi: Smi, clock: Clock, transport: Transport, record: Record, *,
                 response_time: float = RESPONSE_TIME):
        self.core = core
        self.smi = smi
        self.clock = clock
        self.transport = transport
        self.record = record
        self.response_time = response_time
        self.responses: dict[tuple[int, bytes, bytes], Received] = {}
        self.alerts: list[Received] = []
        self.unsolicited: list[Received] = []
        self.rejected: list[Rejected] = []

    # ------------------------------------------------------------------ carriage
    def transmit(self, command: Outgoing | bytes, what: str = "command") -> None:
        """Send a command's bytes to the CHF's WAN side; an answer the CH gives at once (its own, the GPF's) is
        taken like any other."""
        data = command.data if isinstance(command, Outgoing) else bytes(command)
        self.record("to-device", what, data)
        answer = self.transport(data)
        if answer is not None:
            self.on_message(answer)

    def on_message(self, data: bytes) -> None:
        """A response or alert from a device (through its CHF): verified by the core, then kept by kind."""
        self.record("from-device", "response or alert", data)
        try:
            received = self.core.receive(data)
        except Rejected as exc:
            if exc.reason is Reason.UNMATCHED and self._unsolicited(data):
                return
            self.rejected.append(exc)
            return
        if received.kind == "response":
            self.responses[received.command.key] = received
        else:
            self.alerts.append(received)

    def _unsolicited(self, data: bytes) -> bool:
        """A CS01a/b response nobody asked for (a top-up entered on the meter): accepted once verified, and the
        DCC alert raised. False when `data` is not such a response."""
        try:
            received = self.core.receive_unsolicited(data, UNSOLICITED)
        except Rejected as exc:
            self.rejected.append(exc)
            return True
        if received is None:
            return False
        self.unsolicited.append(received)
        self.smi.raise_alert(LOCAL_TOP_UP_ALERT, received.header.originator, self.clock.now(),
                             f"{UNSOLICITED[received.header.message_code]} applied locally")
        return True

    def await_response(self, command: Outgoing, timeout: float | None = None) -> Received | None:
        """The verified response to `command`, letting virtual time pass up to `timeout`; None when none came."""
        deadline = self.clock.now() + (self.response_time if timeout is None else timeout)
        while command.key not in self.responses and self.clock.now() < deadline:
            self.clock.advance(min(1.0, deadline - self.clock.now()))
        return self.responses.get(command.key)

    def request(self, requester: bytes, device: bytes, code: int, payload: Content, *, critical: bool,
                what: str = "command") -> tuple[Outgoing, Received | None]:
        """Build, sign (when critical), MAC, send and await one command for `requester`: from the requester
        itself, or from the ACB on its behalf for a device that does not trust the requester."""
        record = self.smi.devices.get(bytes(device))
        if record is not None and record.device_type in ACB_ORIGINATED:
            command = self.core.acb_command(requester, device, code, payload, critical=critical)
        else:
            command = self.core.command(requester, device, code, payload, critical=critical)
        self.transmit(command, what)
        return command, self.await_response(command)

    # ------------------------------------------------------------------ SRV 8.1.1 Commission Device
    def commission(self, requester: bytes, device: bytes) -> Answer:
        record = self.smi.get(device)
        chf = self.smi.devices.get(record.chf) if record.chf is not None else None
        if chf is None or chf.status is not Status.COMMISSIONED:
            return Answer(False, "the device's CHF is not Commissioned (AC 4.12): no command sent")
        if record.status in NOT_COMMISSIONABLE:
            return Answer(False, f"the device is {record.status.value} (AC 4.12): no command sent")
        now = self.clock.now()
        if record.device_type == "esme":
            code, payload = set_clock.ECS70, lambda c: set_clock.ecs70_payload(c, now - WINDOW, now + WINDOW)
        elif record.device_type == "gsme":
            code, payload = set_clock.GCS28, set_clock.gcs28_payload(now - WINDOW, now + WINDOW + self.response_time)
        else:
            return Answer(False, f"SRV 8.1.1 does not apply to a {record.device_type}")
        command, response = self.request(requester, device, code, payload, critical=True, what="Set Clock")
        if response is None:
            return Answer(False, "no Set Clock response", command)
        _, synced = set_clock.meter_time(code, response.header.payload)
        if not synced:
            return Answer(False, "the meter did not set its clock", command, response)
        self.smi.set_status(device, Status.COMMISSIONED, self.clock.now())
        return Answer(True, "commissioned", command, response)

    # ------------------------------------------------------------------ SRV 8.7 / 8.8 joins and unjoins
    def join(self, requester: bytes, device: bytes, code: int, other: bytes, other_type: str, *,
             critical: bool, method: int = 1, certificate: bytes | None = None) -> Answer:
        """A CS03x to `device` adding `other` (with `other`'s KA certificate, DER, when given); on success `other`
        inherits `device`'s status (AC 4.7)."""
        command, response = self.request(requester, device, code,
                                         join_payload(method, other, DEVICE_TYPES[other_type], certificate),
                                         critical=critical, what="join")
        if response is None:
            return Answer(False, "no join response", command)
        status = status_code(response)
        if status != 0:
            return Answer(False, f"join refused with status {status}", command, response)
        partner = self.smi.get(device)
        joined = self.smi.devices.get(bytes(other))
        if joined is not None and partner.device_type in ("esme", "gsme", "gpf") \
                and partner.status in (Status.INSTALLED_NOT_COMMISSIONED, Status.COMMISSIONED):
            self.smi.set_status(other, partner.status, self.clock.now())
        return Answer(True, "joined", command, response)

    def unjoin(self, requester: bytes, device: bytes, other: bytes, *, critical: bool = True) -> Answer:
        """CS04AC (critical) / CS04B to `device` removing `other` from its log."""
        code = CS04AC if critical else CS04B
        command, response = self.request(requester, device, code, unjoin_payload(other), critical=critical,
                                         what="unjoin")
        if response is None:
            return Answer(False, "no unjoin response", command)
        status = status_code(response)
        return Answer(status == 0, f"unjoin status {status}", command, response)
