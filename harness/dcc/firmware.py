"""Firmware services of the DCC core: SRV 11.1 Update Firmware, checked against the CPL, and its distribution to the
devices' Communications Hubs, with the DCC alerts BAD 7.5.3.6.2 lists (gb-processes.md 4.10 B and C):

    N20  the image is larger than 750 kB (checked first; nothing else is looked at)
    N21  the firmware version is on no Current CPL row
    N18  the hash over the Manufacturer Image and the firmware version do not match one CPL row (whose manufacturer,
         model and version are the OTA header's)
    N19  a target device's current model cannot be identified with that row (manufacturer, model, hardware range)
    N22  a CH did not acknowledge the image
    N23  a CH acknowledged but never reported the device's transfer (CCS08) within the transfer allowance

Per device the sender must be the Responsible Supplier, the device a Smart Meter, its status Commissioned or
Suspended; a device failing these is listed in the service response with the reason (no N-alert). SECMP0007 (OTA
firmware for PPMIDs via the DCC) adds the PPMID to the device types SRV 11.1 may name: `targets` chooses.
The image reaches a CH through `distribute(ch, image) -> acknowledged` (the DCC-to-CH mechanism is not GBCS);
the CH's CCS08 report comes back through `transfer_reported`.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Callable

from harness.dcc.han import Clock, Timer
from harness.dcc.smi import Smi, Status, UnknownDevice
from harness.errors import ConformanceFailure, InputError
from harness.gbcs.asn1 import Tlv, decode as decode_asn1
from harness.dcc.reads import first_octet_string
from harness.gbcs.dlms import Data, DlmsPayload, Spec
from harness.gbcs.gbz import LAST, Component, GbzPayload
from harness.ota.image import OtaImage, parse
from harness.smki.cpl import Cpl, CplEntry

MAX_IMAGE = 750 * 1024            # octets (BAD: "750 kB"; read as KiB) [I]
TRANSFER_ALLOWANCE = 7 * 86400.0  # seconds the DCC waits for a CH's transfer report before N23 (the rig's choice)
SMART_METERS = ("esme", "gsme")
SECMP0007_TARGETS = SMART_METERS + ("ppmid",)  # SECMP0007: SRV 11.1 may also name a PPMID
ELIGIBLE = (Status.COMMISSIONED, Status.SUSPENDED)

NOTICE = 7 * 86400.0              # seconds the DCC gives Users before it activates CH firmware (BAD 7.5.3.6.5)

CS06 = 0x0012
CCS08 = 0x0128
ECS52 = 0x0059
# [I: INFERRED, no RTDS sample in the rig's sources] ECS52 (SRV 11.2) reads attribute 2 of the class 1 object
# 1-0:0.2.0.255 (active firmware identifier) as the 4-octet file version (firmware/ota_gbcs.py answers it).
ACTIVE_FIRMWARE = bytes.fromhex("0100000200FF")
GCS38 = 0x0084
# [I: INFERRED, no RTDS sample] GCS38 (SRV 11.2, GSME) is a GBZ ZCL Read Attributes of CurrentFileVersion (0x0002,
# uint32) on the OTA cluster (0x0019); the answer a Read Attributes Response.
OTA_CLUSTER, CURRENT_FILE_VERSION, READ_ATTRIBUTES, READ_ATTRIBUTES_RESPONSE = 0x0019, 0x0002, 0x00, 0x01
CS08 = 0x0129
# [I: INFERRED from "version octet-string plus code" (gbcs.md 4), no RTDS sample] CS08 Read PPMID/HCALCS Firmware
# Version: the command a bare NULL; the response SEQUENCE {firmwareVersion OCTET STRING(4), responseCode INTEGER}
# (firmware/ota_gbcs.py answers it).
CS08_COMMAND = b"\x05\x00"
CANCEL = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)  # re-dating here cancels

Distribute = Callable[[bytes, bytes], bool]


def cs06_payload(image_hash: bytes, execution: float | datetime.datetime | None = None) -> Callable[[int], bytes]:
    """SRV 11.3 / CS06 content as a function of the command's counter: SEQUENCE {manufacturerImageHash,
    originatorCounter, executionDateTime OPTIONAL} (execution: UTC seconds, a datetime, or None for now)."""
    if len(image_hash) != 32:
        raise InputError("the Manufacturer Image Hash is 32 octets", field="image_hash")
    when = b""
    if execution is not None:
        moment = execution if isinstance(execution, datetime.datetime) else \
            datetime.datetime.fromtimestamp(execution, datetime.timezone.utc)
        when = Tlv(b"\x18", moment.strftime("%Y%m%d%H%M%SZ").encode()).encode()

    def content(counter: int) -> bytes:
        count = Tlv(b"\x02", counter.to_bytes((counter.bit_length() + 8) // 8, "big")).encode()
        body = Tlv(b"\x04", bytes(image_hash)).encode() + count + when
        return Tlv(b"\x30", body).encode()
    return content


def ecs52_payload(counter: int) -> bytes:
    """SRV 11.2 / ECS52 content: a DLMS get of the active firmware identifier."""
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", [Spec(1, 1, ACTIVE_FIRMWARE, 2)],
                       [Data(0x00)]).encode()


def ecs52_version(payload: bytes) -> bytes | None:
    """The firmware version an ECS52 response reports (None when the read failed)."""
    return first_octet_string(payload, "ECS52")


def gcs38_payload(counter: int) -> bytes:
    """SRV 11.2 / GCS38 content: a GBZ Read Attributes of the GSME's CurrentFileVersion."""
    attributes = CURRENT_FILE_VERSION.to_bytes(2, "little")
    read = Component(LAST, OTA_CLUSTER, 0x00, counter & 0xFF, READ_ATTRIBUTES, attributes)
    return GbzPayload(1, [read]).encode()


def gcs38_version(payload: bytes) -> bytes | None:
    """The firmware version (4 octets, big-endian) a GCS38 response reports (None when the read failed);
    ConformanceFailure when the response is not one Read Attributes Response on the OTA cluster."""
    try:
        [comp] = GbzPayload.decode(payload).components
    except (InputError, ValueError) as exc:
        raise ConformanceFailure(f"the GCS38 response is not one GBZ component: {exc}") from None
    record = comp.zcl_payload
    if (comp.cluster, comp.command) != (OTA_CLUSTER, READ_ATTRIBUTES_RESPONSE) or len(record) < 3 \
            or int.from_bytes(record[:2], "little") != CURRENT_FILE_VERSION:
        raise ConformanceFailure("the GCS38 response is not a Read Attributes Response of CurrentFileVersion")
    if record[2] != 0:
        return None
    if record[3:4] != b"\x23" or len(record) != 8:
        raise ConformanceFailure("the GCS38 response's CurrentFileVersion is not a uint32")
    return int.from_bytes(record[4:8], "little").to_bytes(4, "big")


def cs08_version(payload: bytes) -> tuple[bytes, int]:
    """(firmware version, response code) of a CS08 response; ConformanceFailure when it is not one [I: see CS08]."""
    try:
        (top,) = decode_asn1(payload)
        version, code = top.children or ()
        if (top.tag, version.tag, code.tag) != (b"\x30", b"\x04", b"\x02") or len(version.value) != 4:
            raise ValueError("not SEQUENCE {OCTET STRING(4), INTEGER}")
        return bytes(version.value), int.from_bytes(code.value, "big", signed=True)
    except (ValueError, InputError) as exc:
        raise ConformanceFailure(f"CS08 response is not {{firmwareVersion, responseCode}}: {exc}") from exc


def ccs08_report(payload: bytes) -> tuple[bytes, bytes, int]:
    """(device EUI, firmware version, response code) of a CHF's CCS08 Firmware Transfer Alert: SEQUENCE {alertCode,
    executionDateTime, entityId, firmwareVersion, responseCode}; ConformanceFailure when it is not one."""
    try:
        (top,) = decode_asn1(payload)
        code, when, entity, version, response = top.children or ()
        tags = (top.tag, code.tag, when.tag, entity.tag, version.tag, response.tag)
        if tags != (b"\x30", b"\x02", b"\x18", b"\x04", b"\x04", b"\x02") or len(entity.value) != 8:
            raise ValueError(f"tags {[t.hex() for t in tags]}")
        return bytes(entity.value), bytes(version.value), int.from_bytes(response.value, "big", signed=True)
    except (ValueError, InputError) as exc:
        raise ConformanceFailure(f"CCS08 payload is not a Firmware Transfer Alert: {exc}") from exc


def cs06_outcome(payload: bytes) -> tuple[int, bytes] | None:
    """(response code, firmware version) of a CS06 response, or None for NULL (a future-dated CS06 stored);
    ConformanceFailure when the device answered anything else."""
    try:
        (top,) = decode_asn1(payload)
        if top.tag == b"\x05" and not top.value:
            return None
        code, version = top.children or ()
        if top.tag != b"\x30" or code.tag != b"\x02" or version.tag != b"\x04":
            raise ValueError("not SEQUENCE {INTEGER, OCTET STRING}")
        return int.from_bytes(code.value, "big", signed=True), bytes(version.value)
    except (ValueError, InputError) as exc:
        raise ConformanceFailure(f"CS06 response is neither NULL nor {{responseCode, firmwareVersion}}: {exc}") \
            from exc


def activation_report(payload: bytes) -> tuple[int, int, bytes]:
    """(alert code, response code, firmware version) of a 0x00CA future-dated activation alert: SEQUENCE {alertCode,
    executionDateTime, originatorCounter, SEQUENCE {responseCode, firmwareVersion}}; ConformanceFailure otherwise."""
    try:
        (top,) = decode_asn1(payload)
        code, when, counter, outcome = top.children or ()
        response, version = outcome.children or ()
        tags = (top.tag, code.tag, when.tag, counter.tag, outcome.tag, response.tag, version.tag)
        if tags != (b"\x30", b"\x02", b"\x18", b"\x02", b"\x30", b"\x02", b"\x04"):
            raise ValueError(f"tags {[t.hex() for t in tags]}")
        return (int.from_bytes(code.value, "big"), int.from_bytes(response.value, "big", signed=True),
                bytes(version.value))
    except (ValueError, InputError) as exc:
        raise ConformanceFailure(f"0x00CA payload is not a future-dated activation alert: {exc}") from exc


@dataclass(frozen=True)
class DeviceModel:
    """What the DCC knows of a device's current model and who may change its firmware."""

    manufacturer: int
    model: int
    hardware: int
    firmware_version: int
    responsible_supplier: bytes


@dataclass
class FirmwareResponse:
    """The SRV 11.1 service response: accepted devices, and failed devices with their reasons."""

    ok: bool
    detail: str
    accepted: list[bytes] = field(default_factory=list)
    failed: dict[bytes, str] = field(default_factory=dict)
    entry: CplEntry | None = None


@dataclass(frozen=True)
class ChFirmwareNotice:
    """The DCC's notice to Users of a CH firmware activation: when given, and the earliest activation time."""

    ch: bytes
    firmware_version: int
    image_hash: bytes
    given: float
    activation: float


@dataclass
class TransferWatch:
    ch: bytes
    timer: Timer
    image_hash: bytes
    reported: int | None = None


class FirmwareServices:
    """SRV 11.1 on the run's clock; `models` holds each device's current model (set when it is installed)."""

    def __init__(self, cpl: Cpl, smi: Smi, clock: Clock, distribute: Distribute, *,
                 allowance: float = TRANSFER_ALLOWANCE, targets: tuple[str, ...] = SMART_METERS):
        self.cpl = cpl
        self.smi = smi
        self.clock = clock
        self.distribute = distribute
        self.allowance = allowance
        self.targets = targets
        self.models: dict[bytes, DeviceModel] = {}
        self.watches: dict[bytes, TransferWatch] = {}
        self.notices: list[ChFirmwareNotice] = []

    def _alert(self, code: str, devices: list[bytes], detail: str) -> None:
        for device in devices:
            self.smi.raise_alert(code, device, self.clock.now(), detail)

    def _refuse(self, code: str, devices: list[bytes], detail: str) -> FirmwareResponse:
        self._alert(code, devices, detail)
        return FirmwareResponse(False, f"{code}: {detail}", failed={d: detail for d in devices})

    def update_firmware(self, requester: bytes, image: bytes, firmware_version: int,
                        devices: list[bytes]) -> FirmwareResponse:
        """SRV 11.1: check the image against the CPL and each device; distribute it to the devices' CHs."""
        devices = [bytes(d) for d in devices]
        if len(image) > MAX_IMAGE:
            return self._refuse("N20", devices, f"image of {len(image)} octets is larger than 750 kB")
        try:
            parsed = parse(image)
        except InputError as exc:
            return FirmwareResponse(False, f"malformed image: {exc}", failed={d: "malformed image" for d in devices})
        if not any(e.firmware_version == firmware_version for e in self.cpl.entries if e.status == "Current"):
            return self._refuse("N21", devices, f"firmware version 0x{firmware_version:08X} is on no CPL row")
        entry = self._cpl_row(parsed, firmware_version)
        if entry is None:
            return self._refuse("N18", devices, "no CPL row has this Manufacturer Image hash and firmware version "
                                "for the OTA header's manufacturer and model")
        response = FirmwareResponse(True, "accepted", entry=entry)
        targets: dict[bytes, list[bytes]] = {}
        for device in devices:
            reason = self._device_problem(requester, device, entry)
            if reason is None:
                targets.setdefault(self.smi.get(device).chf or b"", []).append(device)
            else:
                response.failed[device] = reason
                if reason.startswith("current model"):
                    self._alert("N19", [device], reason)
        for ch, group in targets.items():
            if not ch or not self.distribute(ch, image):
                self._alert("N22", group, "the Communications Hub did not acknowledge the image")
                response.failed.update({d: "no CH acknowledgement" for d in group})
                continue
            for device in group:
                self._watch(ch, device, entry.image_hash)
                response.accepted.append(device)
        response.ok = bool(response.accepted)
        if not response.ok:
            response.detail = "no device accepted"
        return response

    def update_ch_firmware(self, ch: bytes, image: bytes, deliver: Callable[[bytes], bool], *,
                           urgent: bool = False) -> FirmwareResponse:
        """CH firmware, DCC-driven (BAD 7.5.3.6.5; no SRV 11.1, no 750 kB limit): the image's hash and metadata match
        a CPL row for the CH's current model; `deliver` hands the image to the CH (True = taken); a notice to Users
        is logged, the activation (CS06 from the WAN Provider) not before 7 days later unless `urgent`."""
        ch = bytes(ch)
        try:
            parsed = parse(image)
        except InputError as exc:
            return FirmwareResponse(False, f"malformed image: {exc}", failed={ch: "malformed image"})
        entry = self._cpl_row(parsed, parsed.header.file_version)
        model = self.models.get(ch)
        if entry is None:
            return FirmwareResponse(False, "no CPL row has this image's hash, manufacturer, model and version",
                                    failed={ch: "not on the CPL"})
        if model is None or (model.manufacturer, model.model) != (entry.manufacturer, entry.model) \
                or not entry.covers_hardware(model.hardware):
            return FirmwareResponse(False, "the CH's current model does not match the CPL row", failed={ch: "model"})
        if not deliver(image):
            return FirmwareResponse(False, "the CH did not take the image", failed={ch: "not delivered"})
        now = self.clock.now()
        self.notices.append(ChFirmwareNotice(ch, entry.firmware_version, entry.image_hash, now,
                                             now if urgent else now + NOTICE))
        return FirmwareResponse(True, "delivered; Users notified", accepted=[ch], entry=entry)

    def _cpl_row(self, parsed: OtaImage, firmware_version: int) -> CplEntry | None:
        h = parsed.header
        for entry in self.cpl.by_hash(parsed.manufacturer_image_hash):
            if (entry.manufacturer, entry.model, entry.firmware_version) == (h.manufacturer, h.image_type,
                                                                            firmware_version) \
                    and h.file_version == firmware_version:
                return entry
        return None

    def _device_problem(self, requester: bytes, device: bytes, entry: CplEntry) -> str | None:
        try:
            record = self.smi.get(device)
        except UnknownDevice:
            return "unknown device"
        model = self.models.get(device)
        if model is None:
            return "current model unknown to the DCC"
        if model.responsible_supplier != bytes(requester):
            return "the sender is not the Responsible Supplier"
        if record.device_type not in self.targets:
            return "the device is not a Smart Meter"
        if record.status not in ELIGIBLE:
            return f"the device is {record.status.value}, not Commissioned or Suspended"
        if (model.manufacturer, model.model) != (entry.manufacturer, entry.model) \
                or not entry.covers_hardware(model.hardware):
            return "current model (manufacturer, model, hardware version) does not match the CPL row"
        return None

    def _watch(self, ch: bytes, device: bytes, image_hash: bytes) -> None:
        old = self.watches.pop(device, None)
        if old is not None:
            old.timer.cancel()
        deadline = self.clock.now() + self.allowance
        self.watches[device] = TransferWatch(ch, self.clock.call_at(deadline, lambda: self._overdue(device)),
                                             image_hash)

    def _overdue(self, device: bytes) -> None:
        watch = self.watches.get(device)
        if watch is not None and watch.reported is None:
            self._alert("N23", [device], "the Communications Hub reported no transfer of the image")

    def transfer_reported(self, ch: bytes, device: bytes, response_code: int) -> None:
        """The CH's CCS08 for `device` (0 success, 1 image discarded, 2 HW version mismatch, 3 transfer failure)."""
        watch = self.watches.get(bytes(device))
        if watch is not None and watch.ch == bytes(ch):
            watch.reported = response_code
            watch.timer.cancel()
