"""The Certified Products List of a bench SMKI, and the bench manufacturers' image-signing keys.

CPL rows (BAD 7.1.2, 7.5.3.6.1; gb-processes.md 4.1 "Device Model = manufacturer ID, model/image type, HW version,
FW version, optional image hash"): manufacturer code, model (= the OTA image type), firmware version (the OTA file
version), Manufacturer Image Hash, hardware version range, status 'Current' or 'Removed'. Stored as `cpl.json` in
the SMKI folder; manufacturer keys as `manufacturers/<code>.key` (PKCS#8 PEM, P-256) beside it.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.errors import InputError

CPL_FILE = "cpl.json"
MANUFACTURERS = "manufacturers"
CURRENT, REMOVED = "Current", "Removed"


@dataclass(frozen=True)
class CplEntry:
    manufacturer: int
    model: int
    firmware_version: int
    image_hash: bytes
    hardware_min: int
    hardware_max: int
    status: str = CURRENT

    def to_json(self) -> dict:
        row = asdict(self)
        row["image_hash"] = self.image_hash.hex().upper()
        return row

    @classmethod
    def from_json(cls, row: object, where: str) -> "CplEntry":
        if not isinstance(row, dict):
            raise InputError("CPL row is not an object", field=where)
        try:
            entry = cls(int(row["manufacturer"]), int(row["model"]), int(row["firmware_version"]),
                        bytes.fromhex(row["image_hash"]), int(row["hardware_min"]), int(row["hardware_max"]),
                        str(row.get("status", CURRENT)))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"CPL row is malformed: {exc!r}", field=where) from None
        if len(entry.image_hash) != 32 or entry.status not in (CURRENT, REMOVED):
            raise InputError("CPL row needs a 32-octet hash and status Current or Removed", field=where)
        return entry

    def covers_hardware(self, hardware: int) -> bool:
        return self.hardware_min <= hardware <= self.hardware_max


class Cpl:
    """The CPL rows of one SMKI folder; `save` writes them back."""

    def __init__(self, directory: Path, entries: list[CplEntry] | None = None):
        self.directory = Path(directory)
        self.entries = list(entries or [])

    @classmethod
    def load(cls, directory: Path) -> "Cpl":
        path = Path(directory) / CPL_FILE
        if not path.exists():
            return cls(directory)
        try:
            rows = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{path} is not readable JSON: {exc}", field="cpl") from None
        if not isinstance(rows, list):
            raise InputError(f"{path} is not a list of rows", field="cpl")
        return cls(directory, [CplEntry.from_json(r, f"cpl[{i}]") for i, r in enumerate(rows)])

    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / CPL_FILE).write_text(json.dumps([e.to_json() for e in self.entries], indent=1))

    def add(self, entry: CplEntry) -> CplEntry:
        self.entries.append(entry)
        self.save()
        return entry

    def by_hash(self, image_hash: bytes) -> list[CplEntry]:
        return [e for e in self.entries if e.image_hash == image_hash and e.status == CURRENT]

    def model_rows(self, manufacturer: int, model: int) -> list[CplEntry]:
        return [e for e in self.entries if (e.manufacturer, e.model) == (manufacturer, model) and e.status == CURRENT]


def signer_id(manufacturer: int) -> bytes:
    """The 8-octet identifier a bench manufacturer signs its images as (a bench convention)."""
    return b"MFR\0\0\0" + manufacturer.to_bytes(2, "big")


def manufacturer_key(directory: Path, manufacturer: int) -> ec.EllipticCurvePrivateKey:
    """The bench manufacturer's image-signing key (P-256), minted on first use."""
    path = Path(directory) / MANUFACTURERS / f"{manufacturer:04X}.key"
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise InputError(f"{path} is not an EC private key", field="manufacturer_key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.replace(tmp, path)  # whole or absent, never half written
    return key
