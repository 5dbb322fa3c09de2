"""CPython-only helper for the device-side tests: raw key bytes from the RTDS keystore (PEM/PKCS#8)."""
from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ACB = "90B3D51F30000002"


def _pem(keystore: Path, name: str) -> bytes | None:
    path = keystore / name
    return path.read_bytes() if path.exists() else None


def public(keystore: Path, eui: str, kind: str) -> bytes | None:
    """65-byte uncompressed public key of ``<eui>-<kind>.pem`` (certificate or SPKI), or None."""
    data = _pem(keystore, f"{eui.lower()}-{kind}.pem")
    if data is None:
        return None
    try:
        key = x509.load_pem_x509_certificate(data).public_key()
    except ValueError:
        key = serialization.load_pem_public_key(data)
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def private(keystore: Path, eui: str, kind: str) -> bytes | None:
    """32-byte private scalar of ``<eui>-<kind>.key`` (PKCS#8), or None."""
    data = _pem(keystore, f"{eui.lower()}-{kind}.key")
    if data is None:
        return None
    key = serialization.load_pem_private_key(data, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.private_numbers().private_value.to_bytes(32, "big")
