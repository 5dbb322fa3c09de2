"""Key stores: look up P-256 keys by (EUI, usage ka|ds, private?, prepayment?) (gbcs.md 5.2).

``KeyStore`` is the small interface the verifier needs. ``MemoryKeyStore`` holds keys in a dict;
``DirectoryKeyStore`` loads the RTDS / bench SMKI layout ``<eui>[-pp]-<ka|ds>.<pem|key>`` (``.pem`` an X.509
certificate or a bare SPKI public key, ``.key`` a PKCS#8 private key). Lookups key on all four fields, so a
prepayment lookup never returns the ordinary KA key (quirk 5.2 b).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.gbcs.errors import KeystoreError

USAGES = ("ka", "ds")
FILE_PATTERN = re.compile(r"^([0-9a-f]{16})(-pp)?-(ka|ds)\.(pem|key)$")


def normalise_eui(eui: bytes | str) -> str:
    """An EUI-64 as 16 lower-case hex digits (separators removed)."""
    if isinstance(eui, (bytes, bytearray)):
        if len(eui) != 8:
            raise ValueError("EUI must be 8 bytes")
        return bytes(eui).hex()
    text = re.sub(r"[\s:\-]", "", str(eui)).lower()
    if not re.fullmatch(r"[0-9a-f]{16}", text):
        raise ValueError(f"not an EUI-64: {eui!r}")
    return text


class KeyStore(Protocol):
    """What the verifier and the DCC core need from a key store."""

    def public_key(self, eui: bytes | str, usage: str, prepayment: bool = False) -> ec.EllipticCurvePublicKey | None:
        """The public key (from a certificate, SPKI or the private key), or None."""

    def private_key(self, eui: bytes | str, usage: str, prepayment: bool = False) -> ec.EllipticCurvePrivateKey | None:
        """The private key, or None."""


class MemoryKeyStore:
    """Keys held in memory, keyed on (eui, usage, private, prepayment)."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str, bool, bool], object] = {}
        self._certs: dict[tuple[str, str, bool], x509.Certificate] = {}

    def add(self, eui: bytes | str, usage: str, key: object, prepayment: bool = False,
            certificate: x509.Certificate | None = None) -> None:
        """Store a P-256 private or public key (and optionally its certificate)."""
        if usage not in USAGES:
            raise ValueError(f"usage must be one of {USAGES}")
        if isinstance(key, ec.EllipticCurvePrivateKey):
            private = True
        elif isinstance(key, ec.EllipticCurvePublicKey):
            private = False
        else:
            raise KeystoreError("not an elliptic-curve key", field=f"{normalise_eui(eui)}-{usage}")
        if not isinstance(key.curve, ec.SECP256R1):
            raise KeystoreError("not a P-256 key", field=f"{normalise_eui(eui)}-{usage}")
        slot = (normalise_eui(eui), usage, private, prepayment)
        if slot in self._keys:
            raise KeystoreError("more than one key for this slot", field="-".join(map(str, slot)))
        self._keys[slot] = key
        if certificate is not None:
            self._certs[slot[:2] + (prepayment,)] = certificate

    def private_key(self, eui: bytes | str, usage: str, prepayment: bool = False) -> ec.EllipticCurvePrivateKey | None:
        return self._keys.get((normalise_eui(eui), usage, True, prepayment))  # type: ignore[return-value]

    def public_key(self, eui: bytes | str, usage: str, prepayment: bool = False) -> ec.EllipticCurvePublicKey | None:
        eui = normalise_eui(eui)
        key = self._keys.get((eui, usage, False, prepayment))
        if key is None:
            private = self._keys.get((eui, usage, True, prepayment))
            key = private.public_key() if private is not None else None  # type: ignore[attr-defined]
        return key  # type: ignore[return-value]

    def certificate(self, eui: bytes | str, usage: str, prepayment: bool = False) -> x509.Certificate | None:
        return self._certs.get((normalise_eui(eui), usage, prepayment))

    def euis(self) -> set[str]:
        return {slot[0] for slot in self._keys}


def load_key_file(path: Path) -> tuple[object, x509.Certificate | None]:
    """Read one ``.pem`` (certificate or SPKI) or ``.key`` (PKCS#8) file."""
    try:
        data = path.read_bytes()
        if path.suffix == ".key":
            return serialization.load_pem_private_key(data, password=None), None
        if b"BEGIN CERTIFICATE" in data:
            cert = x509.load_pem_x509_certificate(data)
            return cert.public_key(), cert
        return serialization.load_pem_public_key(data), None
    except (OSError, ValueError, TypeError) as exc:
        raise KeystoreError(f"unreadable key file: {exc}", field=path.name) from exc


class DirectoryKeyStore(MemoryKeyStore):
    """Every ``<eui>[-pp]-<ka|ds>.<pem|key>`` file below ``root`` (other files are ignored)."""

    def __init__(self, root: str | Path):
        super().__init__()
        self.root = Path(root)
        if not self.root.is_dir():
            raise KeystoreError("not a directory", field=str(root))
        for path in sorted(self.root.rglob("*")):
            match = FILE_PATTERN.match(path.name.lower())
            if not match or not path.is_file():
                continue
            eui, pp, usage, _ = match.groups()
            key, cert = load_key_file(path)
            self.add(eui, usage, key, prepayment=bool(pp), certificate=cert)
