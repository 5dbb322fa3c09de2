"""HAN service requests of the DCC core: SRV 8.11 Update HAN Device Log (add and remove) and the join that follows.

BAD 7.2.1.6.7: SRV 8.11 add -> CCS01 to the CHF -> success response -> device Whitelisted (+ N16 for meters) ->
the CHF raises CS14 (0x8F12) with its changed log -> the device joins (install code, CBKE) -> the CHF raises a
second CS14 -> if that second CS14 arrives within the Join Time Period plus a network allowance, N24 and the
device becomes Installed not Commissioned; otherwise N25 and the status stays Whitelisted.
BAD 7.6.2.5.4: SRV 8.11 remove -> CCS02 -> CS14 shows the removal -> Whitelisted back to Pending.

Commands go out through a `transport(bytes) -> bytes | None` (the CHF's WAN side); alerts come back through
`on_alert(bytes)`. Every message in either direction lands in the transcript.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from harness.dcc import outage
from harness.dcc.core import DccCore, Outgoing, Received
from harness.dcc.smi import Smi
from harness.dcc.transcript import TranscriptEntry
from harness.gbcs.dlms import Data, DlmsPayload, Spec
from harness.errors import ConformanceFailure, InputError
from harness.verdicts import from_device

CCS01, CCS02, CS14 = 0x0001, 0x0002, 0x0018
ALERT_LOG_CHANGED = 0x8F12
ZIGBEE_NETWORK_CONTROL = 104
OBIS_HAN = bytes.fromhex("00001E0300FF")
DEFAULT_ALLOWANCE = 60.0  # network transmission allowance on top of the Join Time Period (seconds)
METERS = ("esme", "gsme")
DEVICE_TYPE_CODES = {"gsme": 0, "esme": 1, "ppmid": 5, "hcalcs": 4, "ihd": 6, "cad": 7, "hht": 8, "gpf": 3}

Transport = Callable[[bytes], "bytes | None"]


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """What the HAN services ask of the run's clock (`rig.clock` provides it; the DCC core does not depend on
    the rig)."""

    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer: ...


@dataclass
class JoinWatch:
    """A whitelisted device the DCC waits for: CS14s seen listing it since its CCS01, and the deadline."""

    chf: bytes
    deadline: float
    timer: Timer
    sightings: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceResponse:
    ok: bool
    detail: str
    command: Outgoing | None = None


def register_device_payload(counter: int, device: bytes, device_type: int, install_code: bytes,
                            join_period: int) -> bytes:
    """CCS01 content: DLMS access-request on the CHF's ZigBee network control object (class 104):
    action register_device {EUI, type, install code, 0}, set join_timeout, set enable_joining."""
    spec = lambda kind, member: Spec(kind, ZIGBEE_NETWORK_CONTROL, OBIS_HAN, member)  # noqa: E731
    data = [Data(0x02, [Data(0x09, device), Data(0x16, device_type), Data(0x09, install_code), Data(0x16, 0)]),
            Data(0x12, join_period), Data(0x03, 0xFF)]
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", [spec(3, 1), spec(2, 3), spec(2, 2)],
                       data).encode()


def unregister_device_payload(counter: int, device: bytes) -> bytes:
    """CCS02 content: action unregister_device with the device's EUI."""
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"",
                       [Spec(3, ZIGBEE_NETWORK_CONTROL, OBIS_HAN, 2)], [Data(0x09, device)]).encode()


def _items(data: Data, tag: int, at_least: int, what: str) -> list[Data]:
    """The members of an array (0x01) or structure (0x02) `data`; an InputError when it is not one, or too short."""
    if data.tag != tag or not isinstance(data.value, list) or len(data.value) < at_least:
        raise InputError(f"expected {'an array' if tag == 0x01 else 'a structure'} of at least {at_least}, "
                         f"got tag 0x{data.tag:02X}", field=what)
    return data.value


def cs14_log(payload: bytes) -> list[bytes]:
    """The device EUIs a CS14 (0x8F12) data-notification lists; an InputError when it is not one (the DCC's
    reading of the CHF's alert layout: {alert code, time, {time, CHF EUI, [{EUI, install code}...]}})."""
    notification = DlmsPayload.decode(payload)
    if not notification.data:
        raise InputError("data-notification has no body", field="CS14")
    code, _, log = _items(notification.data[0], 0x02, 3, "CS14 body")
    if code.value != ALERT_LOG_CHANGED:
        raise InputError(f"alert code is {code.value!r}, expected 0x8F12", field="CS14 alert code")
    euis = []
    for entry in _items(_items(log, 0x02, 3, "CS14 device log")[2], 0x01, 0, "CS14 log entries"):
        eui = _items(entry, 0x02, 1, "CS14 log entry")[0]
        if eui.tag != 0x09 or len(eui.value) != 8:
            raise InputError("log entry does not start with an 8-byte EUI-64", field="CS14 log entry")
        euis.append(bytes(eui.value))
    return euis


class HanServices:
    """SRV 8.11 add/remove and the join watch, on the run's clock."""

    def __init__(self, core: DccCore, smi: Smi, clock: Clock, transport: Transport, requester: bytes,
                 allowance: float = DEFAULT_ALLOWANCE):
        self.core = core
        self.smi = smi
        self.clock = clock
        self.transport = transport
        self.requester = requester
        self.allowance = allowance
        self.watches: dict[bytes, JoinWatch] = {}
        self.transcript: list[TranscriptEntry] = []
        self.cs14: list[tuple[float, list[bytes]]] = []
        self.alerts: list[Received] = []  # every alert from the CH that the core verified
        self.violations: list[ConformanceFailure] = []

    def record(self, direction: str, what: str, data: bytes) -> None:
        self.transcript.append(TranscriptEntry(self.clock.now(), direction, what, data))

    def _exchange(self, chf: bytes, code: int, payload, what: str) -> tuple[Outgoing, list[tuple[int, int]] | None]:
        command = self.core.acb_command(self.requester, chf, code, payload)
        self.record("to-device", what + " command", command.data)
        answer = self.transport(command.data)
        if answer is None:
            return command, None
        self.record("from-device", what + " response", answer)
        return command, self._results(answer, what + " response")[1]

    def _results(self, response: bytes, what: str) -> tuple[Outgoing | None, list[tuple[int, int]]]:
        """The DLMS results of a response the device sent, verified by the core (GBCS 5: MAC or signature,
        counter, the command it answers); a response that fails is the device's conformance failure."""
        with from_device(what, "GBCS response rules (MAC or signature, counter, DLMS access-response)"):
            received = self.core.receive(response)
            return received.command, DlmsPayload.decode(received.header.payload).results

    def local_add_device(self, chf: bytes, device: bytes, install_code: bytes, join_period: int) -> Outgoing:
        """SRV 8.11 (add) flagged for local delivery (BAD 7.2.2.6.2): the CCS01 goes back to the user (for an
        HHT to carry), never over the WAN; the SMI changes only when the response is returned."""
        code = DEVICE_TYPE_CODES.get(self.smi.get(device).device_type, 0)
        command = self.core.acb_command(
            self.requester, chf, CCS01, lambda c: register_device_payload(c, device, code, install_code, join_period))
        self.record("to-user", "CCS01 command (local delivery)", command.data)
        return command

    def add_device(self, chf: bytes, device: bytes, install_code: bytes, join_period: int) -> ServiceResponse:
        """SRV 8.11 (add): CCS01 to the CHF; on success Whitelisted, N16 for meters, and the join watch starts."""
        record = self.smi.get(device)
        code = DEVICE_TYPE_CODES.get(record.device_type, 0)
        command, results = self._exchange(
            chf, CCS01, lambda c: register_device_payload(c, device, code, install_code, join_period), "CCS01")
        if results is None:
            return ServiceResponse(False, "no CCS01 response", command)
        if not results or any(r != 0 for _, r in results):
            return ServiceResponse(False, f"CCS01 results {results}", command)
        now = self.clock.now()
        record.chf = chf
        self.smi.whitelisted(device, now)
        if record.device_type in METERS:
            self.smi.raise_alert("N16", device, now, "device identity confirmation")
        old = self.watches.pop(device, None)
        if old:
            old.timer.cancel()
        deadline = now + join_period + self.allowance
        self.watches[device] = JoinWatch(chf, deadline, self.clock.call_at(deadline, lambda: self._deadline(device)))
        return ServiceResponse(True, "whitelisted", command)

    def return_local_response(self, device: bytes, response: bytes) -> ServiceResponse:
        """SRV 8.13 (Return Local Command Response, BAD 7.2.2.6.4): a CCS01 response an HHT brought back is verified
        like any response (MAC, counter, the command it answers); on success the device is Whitelisted."""
        self.record("from-user", "CCS01 response (local delivery)", response)
        command, results = self._results(response, "CCS01 response (local delivery)")
        if not results or any(r != 0 for _, r in results):
            return ServiceResponse(False, f"CCS01 results {results}", command)
        self.smi.get(device).chf = command.header.recipient
        self.smi.whitelisted(device, self.clock.now())
        return ServiceResponse(True, "whitelisted", command)

    def remove_device(self, chf: bytes, device: bytes) -> ServiceResponse:
        """SRV 8.11 (remove): CCS02; on success a Whitelisted device is Pending again (no other status changes)."""
        command, results = self._exchange(chf, CCS02, lambda c: unregister_device_payload(c, device), "CCS02")
        if results is None:
            return ServiceResponse(False, "no CCS02 response", command)
        if not results or any(r != 0 for _, r in results):
            return ServiceResponse(False, f"CCS02 results {results}", command)
        watch = self.watches.pop(device, None)
        if watch:
            watch.timer.cancel()
        self.smi.removed_from_log(device, self.clock.now())
        return ServiceResponse(True, "removed", command)

    def on_alert(self, data: bytes) -> None:
        """An alert from the CHF's WAN side: verified by the core (MAC, counter), then CS14 drives the join watch.
        An alert the device got wrong (refused by the core, or a CS14 that does not carry the Device Log) changes
        nothing and is kept in `violations` (the transcript shows it); `check()` reports it as the device's FAIL."""
        self.record("from-device", "alert", data)
        try:
            with from_device("alert", "GBCS alert rules (MAC or signature, alert counter)"):
                received = self.core.receive(data)
            self.alerts.append(received)
            outage.on_ch_alert(self.smi, received, self.clock.now())  # AD1 for a CH's power outage report
            if received.header.message_code != CS14:
                return
            with from_device("CS14", "BAD 7.2.1.6.7 (CS14 0x8F12 carries the CHF Device Log)"):
                listed = cs14_log(received.header.payload)
        except ConformanceFailure as failure:
            self.violations.append(failure)
            return
        now = self.clock.now()
        self.cs14.append((now, listed))
        for device, watch in list(self.watches.items()):
            if device in listed and received.header.originator == watch.chf:
                watch.sightings.append(now)
                if len(watch.sightings) >= 2 and now <= watch.deadline:
                    self._joined(device)

    def check(self) -> None:
        """Raise the first alert the device got wrong (a ConformanceFailure), if any."""
        if self.violations:
            raise self.violations[0]

    def _joined(self, device: bytes) -> None:
        watch = self.watches.pop(device)
        watch.timer.cancel()
        now = self.clock.now()
        self.smi.joined(device, now)
        self.smi.raise_alert("N24", device, now, "CHF whitelist update successful")

    def _deadline(self, device: bytes) -> None:
        if self.watches.pop(device, None) is not None:
            self.smi.raise_alert("N25", device, self.clock.now(), "CHF whitelist update potentially unsuccessful")
