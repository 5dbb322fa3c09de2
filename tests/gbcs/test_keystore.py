"""Key stores: the RTDS layout, all four lookup fields, and bad files."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.gbcs.errors import KeystoreError
from harness.gbcs.keystore import DirectoryKeyStore, MemoryKeyStore, normalise_eui

SUPPLIER = "90B3D51F30010000"


def _pem(key: ec.EllipticCurvePrivateKey) -> tuple[bytes, bytes]:
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def test_rtds_keystore_lookups(keystore):
    pp, ka = keystore.private_key(SUPPLIER, "ka", prepayment=True), keystore.private_key(SUPPLIER, "ka")
    assert pp is not None and ka is not None
    assert pp.private_numbers() != ka.private_numbers()
    assert keystore.private_key("00DB1234567890A0", "ka") is None
    assert keystore.public_key("00DB1234567890A0", "ka") is not None
    assert keystore.public_key("fffffffffffffffe", "ka") is not None  # bare SPKI
    assert keystore.public_key("123456789ABCDEF0", "ka") is not None  # derived from the private key
    assert keystore.certificate(SUPPLIER, "ds") is not None


def test_directory_layout(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = _pem(key)
    (tmp_path / "90b3d51f30010000-pp-ka.key").write_bytes(private)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "00db1234567890a0-ds.pem").write_bytes(public)
    (tmp_path / "notes.txt").write_text("ignored")
    store = DirectoryKeyStore(tmp_path)
    assert store.private_key(SUPPLIER, "ka", prepayment=True) is not None
    assert store.private_key(SUPPLIER, "ka") is None and store.public_key(SUPPLIER, "ka") is None
    assert store.public_key("00:DB:12:34:56:78:90:A0", "ds").public_numbers() == key.public_key().public_numbers()


def test_bad_and_duplicate_files(tmp_path):
    (tmp_path / "90b3d51f30010000-ka.pem").write_text("garbage")
    with pytest.raises(KeystoreError) as err:
        DirectoryKeyStore(tmp_path)
    assert err.value.field == "90b3d51f30010000-ka.pem"
    store = MemoryKeyStore()
    key = ec.generate_private_key(ec.SECP256R1())
    store.add(SUPPLIER, "ka", key)
    with pytest.raises(KeystoreError):
        store.add(SUPPLIER.lower(), "ka", key)
    with pytest.raises(KeystoreError):
        store.add(SUPPLIER, "ds", ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(KeystoreError):
        DirectoryKeyStore(tmp_path / "absent")
    with pytest.raises(ValueError):
        normalise_eui("12")
