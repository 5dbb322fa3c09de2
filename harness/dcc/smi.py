"""The Smart Metering Inventory as the rig's DCC core keeps it: device statuses and the DCC alerts raised.

Statuses and the transitions the HAN services drive come from BAD 7.1.1 and 7.2.1.6.7 (gb-processes.md 2.1).
Every status change and every DCC alert (N-code) is recorded with the virtual time, so a conformance test can
check not only the end state but when it was reached.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


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
    status: Status = Status.PENDING
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
        """SRV 12.2 outcome: the device is Pending (BAD 7.1.1.6.2)."""
        record = DeviceRecord(bytes(eui), device_type)
        record.history.append((now, Status.PENDING))
        self.devices[record.eui] = record
        return record

    def get(self, eui: bytes) -> DeviceRecord:
        try:
            return self.devices[bytes(eui)]
        except KeyError:
            raise UnknownDevice(bytes(eui).hex().upper()) from None

    def status(self, eui: bytes) -> Status:
        return self.get(eui).status

    def set_status(self, eui: bytes, status: Status, now: float) -> None:
        record = self.get(eui)
        if record.status is not status:
            record.status = status
            record.history.append((now, status))

    def raise_alert(self, code: str, eui: bytes, now: float, detail: str = "") -> DccAlert:
        alert = DccAlert(code, bytes(eui), now, detail)
        self.alerts.append(alert)
        return alert

    def alerts_for(self, eui: bytes, code: str | None = None) -> list[DccAlert]:
        return [a for a in self.alerts if a.device == bytes(eui) and (code is None or a.code == code)]
