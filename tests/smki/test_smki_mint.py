"""Bench SMKI: minted certificates carry the SMKI fields and chain to the bench root."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.errors import InputError
from harness.smki.certs import (HARDWARE_MODULE_NAME, Usage, certificate_eui, certificate_role,
                                certificate_usage)
from harness.smki.mint import mint
from harness.smki.roles import DEFAULT_DEVICES, Role
from rig.commands.smki import smki


@pytest.fixture(scope="module")
def minted(tmp_path_factory):
    return mint(tmp_path_factory.mktemp("smki"), devices={"esme": "00DB1234567890A0", "gsme": "00db1234567890a1"})


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_layout_names_every_key_pair(minted):
    names = sorted(p.name for p in minted.directory.iterdir() if p.is_file() and p.suffix in (".pem", ".key"))
    expected = set()
    for eui in ("00db1234567890a0", "00db1234567890a1"):
        expected |= {f"{eui}-ds.pem", f"{eui}-ds.key", f"{eui}-ka.pem", f"{eui}-ka.key"}
    assert expected <= set(names)
    assert {"90b3d51f30010000-pp-ka.pem", "90b3d51f30010000-pp-ka.key",
            "90b3d51f30000002-ka.key", "90b3d51f30020000-ds.key"} <= set(names)
    assert not any(n.startswith("00db1234567890a2") for n in names), "only requested devices are minted"
    manifest = json.loads((minted.directory / "smki.json").read_text())
    assert manifest["devices"] == {"esme": "00DB1234567890A0", "gsme": "00DB1234567890A1"}
    assert manifest["parties"]["acb"] == {"role": "04", "eui": "90B3D51F30000002"}


def test_every_key_matches_its_certificate(minted):
    for pem in minted.directory.glob("*.pem"):
        key = serialization.load_pem_private_key(pem.with_suffix(".key").read_bytes(), None)
        assert b"BEGIN PRIVATE KEY" in pem.with_suffix(".key").read_bytes()  # PKCS#8
        assert key.public_key() == _cert(pem).public_key(), pem.name
        assert isinstance(key.curve, ec.SECP256R1)


def test_organisation_certificates(minted):
    cert = _cert(minted.directory / "90b3d51f30010000-pp-ka.pem")
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "02"
    assert certificate_eui(cert) == bytes.fromhex("90B3D51F30010000")
    assert certificate_role(cert) is Role.SUPPLIER
    assert certificate_usage(cert) is Usage.KA
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_agreement and not ku.value.digital_signature
    ds = _cert(minted.directory / "90b3d51f30020000-ds.pem")
    assert certificate_role(ds) is Role.NETWORK_OPERATOR and certificate_usage(ds) is Usage.DS
    # the x500UniqueIdentifier is a BIT STRING 03 09 00 <EUI>, as in the RTDS certificates
    assert bytes.fromhex("0309 00 90B3D51F30020000") in ds.public_bytes(serialization.Encoding.DER)


def test_device_certificates(minted):
    for usage in (Usage.DS, Usage.KA):
        cert = _cert(minted.directory / f"00db1234567890a1-{usage.value}.pem")
        assert len(cert.subject) == 0
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert san.critical
        (other,) = san.value.get_values_for_type(x509.OtherName)
        assert other.type_id == HARDWARE_MODULE_NAME
        assert certificate_eui(cert) == bytes.fromhex("00DB1234567890A1")
        assert certificate_role(cert) is None
        assert certificate_usage(cert) is usage


def test_chain_verifies(minted):
    ca = minted.directory / "ca"
    root, org, dev = _cert(ca / "root.pem"), _cert(ca / "org-ca.pem"), _cert(ca / "device-ca.pem")
    root.verify_directly_issued_by(root)
    org.verify_directly_issued_by(root)
    dev.verify_directly_issued_by(root)
    _cert(minted.directory / "90b3d51f30000002-ka.pem").verify_directly_issued_by(org)
    _cert(minted.directory / "00db1234567890a0-ds.pem").verify_directly_issued_by(dev)
    with pytest.raises(ValueError):
        _cert(minted.directory / "00db1234567890a0-ds.pem").verify_directly_issued_by(org)


def test_rtds_certificates_read_the_same_way(shared):
    keystore = shared("rtds", "keystore")
    dev = _cert(keystore / "00db1234567890a0-ka.pem")
    assert certificate_eui(dev) == bytes.fromhex("00DB1234567890A0") and certificate_usage(dev) is Usage.KA
    org = _cert(keystore / "90b3d51f30000002-ds.pem")
    assert certificate_eui(org) == bytes.fromhex("90B3D51F30000002") and certificate_role(org) is Role.ACB


@pytest.mark.parametrize("devices,parties", [({"esme": "00DB12"}, None), ({"esme": "zz" * 8}, None),
                                             (None, {"nobody": "90B3D51F30010000"}),
                                             ({"esme": "90B3D51F30010000"}, None)])
def test_bad_identities_are_refused(tmp_path, devices, parties):
    with pytest.raises(InputError):
        mint(tmp_path / "out", devices, parties)
    assert not (tmp_path / "out").exists()


def test_cli_init(tmp_path):
    runner = CliRunner()
    result = runner.invoke(smki, ["init", str(tmp_path / "s"), "--device", "ppmid=00DB1234567890C4",
                                  "--party", "supplier=90B3D51F30019999", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["devices"] == {"ppmid": "00DB1234567890C4"}
    assert summary["parties"]["supplier"]["eui"] == "90B3D51F30019999"
    assert certificate_eui(_cert(tmp_path / "s" / "90b3d51f30019999-pp-ka.pem")) == bytes.fromhex("90B3D51F30019999")
    again = runner.invoke(smki, ["init", str(tmp_path / "s")])
    assert again.exit_code != 0 and "not empty" in again.output
    bad = runner.invoke(smki, ["init", str(tmp_path / "t"), "--device", "esme"])
    assert bad.exit_code == 2


def test_cli_default_devices(tmp_path):
    result = CliRunner().invoke(smki, ["init", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    for eui in DEFAULT_DEVICES.values():
        assert (tmp_path / "s" / f"{eui.lower()}-ka.pem").exists()


def test_keystore_reads_the_minted_directory(minted):
    from harness.gbcs.keystore import DirectoryKeyStore

    keys = DirectoryKeyStore(minted.directory)
    esme = bytes.fromhex("00DB1234567890A0")
    supplier = bytes.fromhex("90B3D51F30010000")
    for eui in (esme, supplier, bytes.fromhex("90B3D51F30000002")):
        for usage in ("ds", "ka"):
            private = keys.private_key(eui, usage)
            assert private is not None and private.public_key() == keys.public_key(eui, usage)
            assert certificate_eui(keys.certificate(eui, usage)) == eui
    pp = keys.private_key(supplier, "ka", prepayment=True)
    assert pp is not None and pp.public_key() != keys.public_key(supplier, "ka")
    assert keys.private_key(esme, "ka", prepayment=True) is None
    # the CA files under ca/ are not mistaken for keys
    assert keys.euis() == {e.lower() for e in minted.devices.values()} | {e.lower() for _, e in minted.parties.values()}
