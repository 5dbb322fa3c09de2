"""The Smart Metering Inventory as the rig's DCC core keeps it: device statuses and the DCC alerts raised.

Statuses and the transitions the HAN services drive come from BAD 7.1.1 and 7.2.1.6.7 (gb-processes.md 2.1).
Every status change and every DCC alert (N-code) is recorded with the virtual time, so a conformance test can
check not only the end state but when it was reached. Only Smart Meters and Type 1 Devices have a status (BAD
7.1.1.6.2): Type 2 Devices (IHD, CAD) and the HHT are recorded without one, and the HAN transitions leave them so.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


# Device types with an SMI status: Smart Meters and Type 1 Devices (gb-processes.md 2.1, Table of statuses).
STATUS_TYPES = ("esme", "gsme", "ppmid", "hcalcs")


class Status(enum.Enum):
    PENDING = "Pending"
    WHITELISTED = "Whitelisted"
    INSTALLED_NOT_COMMISSIONED = "Installed not Commissioned"
    COMMISSIONED = "Commissioned"
    DECOMMISSIONED = "Decommissioned"
    SUSPENDED = "Suspended"


@dataclass
class DeviceRecord:
    eui: bytes
    device_type: str
    status: Status | None = Status.PENDING
    chf: bytes | None = None
    history: list[tuple[float, Status]] = field(default_factory=list)


@dataclass(frozen=True)
class DccAlert:
    """A DCC alert (N-code) sent to a user, e.g. N24 'CHF whitelist update successful'."""

    code: str
    device: bytes
    time: float
    detail: str = ""


class UnknownDevice(KeyError):
    """The device is not in the inventory."""


class Smi:
    """Device records keyed by EUI-64 bytes, and the DCC alerts raised so far."""

    def __init__(self) -> None:
        self.devices: dict[bytes, DeviceRecord] = {}
        self.alerts: list[DccAlert] = []

    def prenotify(self, eui: bytes, device_type: str, now: float) -> DeviceRecord:
        """SRV 12.2 outcome: a meter or Type 1 Device is Pending; any other is added with no status (BAD 7.1.1.6.2)."""
        status = Status.PENDING if device_type in STATUS_TYPES else None
        record = DeviceRecord(bytes(eui), device_type, status)
        if status is not None:
            record.history.append((now, status))
        self.devices[record.eui] = record
        return record

    def get(self, eui: bytes) -> DeviceRecord:
        try:
            return self.devices[bytes(eui)]
        except KeyError:
            raise UnknownDevice(bytes(eui).hex().upper()) from None

    def status(self, eui: bytes) -> Status | None:
        return self.get(eui).status

    def set_status(self, eui: bytes, status: Status, now: float) -> None:
        record = self.get(eui)
        if record.status is not status:
            record.status = status
            record.history.append((now, status))

    def _transition(self, eui: bytes, allowed_from: tuple[Status, ...], to: Status, now: float) -> bool:
        record = self.get(eui)
        if record.status not in allowed_from:
            return False
        self.set_status(eui, to, now)
        return True

    def whitelisted(self, eui: bytes, now: float) -> bool:
        """Successful CCS01 response: Pending -> Whitelisted (BAD 7.2.1.6.7, AC 4.3(c)). Whether it changed."""
        return self._transition(eui, (Status.PENDING,), Status.WHITELISTED, now)

    def joined(self, eui: bytes, now: float) -> bool:
        """Second CS14 in time: Whitelisted -> Installed not Commissioned (AC 4.4; never a downgrade)."""
        return self._transition(eui, (Status.WHITELISTED,), Status.INSTALLED_NOT_COMMISSIONED, now)

    def removed_from_log(self, eui: bytes, now: float) -> bool:
        """Successful CCS02 response: Whitelisted -> Pending, and from no other status (BAD 7.6.2.7)."""
        return self._transition(eui, (Status.WHITELISTED,), Status.PENDING, now)

    def raise_alert(self, code: str, eui: bytes, now: float, detail: str = "") -> DccAlert:
        alert = DccAlert(code, bytes(eui), now, detail)
        self.alerts.append(alert)
        return alert

    def alerts_for(self, eui: bytes, code: str | None = None) -> list[DccAlert]:
        return [a for a in self.alerts if a.device == bytes(eui) and (code is None or a.code == code)]
