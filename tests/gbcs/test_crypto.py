"""KDF, GCM and worked MAC vectors from vectors/gbcs.json, and raw r||s signatures."""
from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from harness.gbcs import crypto, security
from harness.gbcs.apdu import Message
from harness.gbcs.verify import mac_parties, shared_secret


@pytest.fixture
def vectors(shared):
    return json.loads(shared("vectors", "gbcs.json").read_text())


def test_kdf_vectors(vectors, keystore):
    acb, supplier = bytes.fromhex("90B3D51F30000002"), bytes.fromhex("90B3D51F30010000")
    for v in vectors["kdf"]:
        orig, recip = bytes.fromhex(v["originator"]), bytes.fromhex(v["recipient"])
        party = acb if v["what"] == "command" else supplier
        device = recip if v["what"] == "command" else orig
        z = crypto.ecdh_z(keystore.private_key(party, "ka"), keystore.public_key(device, "ka"))
        key = crypto.kdf(z, orig, int(v["cra"], 16), int(v["counter"], 16), recip)
        assert key.hex().upper() == v["key"], v["what"]


def test_gcm_vectors(vectors):
    for v in vectors["gcm"]:
        key, iv = bytes.fromhex(v["key"]), bytes.fromhex(v["iv"])
        aad, pt = v["aad_ascii"].encode(), v["plaintext_ascii"].encode()
        ct, tag = crypto.gcm_encrypt(key, iv, aad, pt)
        assert tag.hex() == v["tag12"]
        assert ct.hex() == v.get("ciphertext", "")
        assert crypto.gcm_decrypt(key, iv, aad, ct, tag) == pt
        with pytest.raises(crypto.DecryptionFailed):
            crypto.gcm_decrypt(key, iv, aad + b"x", ct, tag)


def test_worked_macs(vectors, keystore, shared):
    for v in vectors["worked_mac"]:
        raw = bytes.fromhex("".join(shared("rtds", v["file"]).read_text().split()))
        message = Message.decode(raw)
        z = shared_secret(keystore, *mac_parties(message.grouping, bytes.fromhex("90B3D51F30000002")))
        key = security.mac_key(z, message.grouping)
        assert key.hex().upper() == v["key"]
        assert security.compute_mac(message, key).hex().upper() == v["mac"] == message.mac.hex().upper()


def test_raw_signature_round_trip_and_rejections():
    key = ec.generate_private_key(ec.SECP256R1())
    sig = crypto.sign_raw(key, b"data")
    assert len(sig) == 64 and crypto.verify_raw(key.public_key(), b"data", sig)
    assert not crypto.verify_raw(key.public_key(), b"datb", sig)
    assert not crypto.verify_raw(key.public_key(), b"data", sig[:63])
    assert not crypto.verify_raw(key.public_key(), b"data", bytes(64))


def test_constant_time_equal():
    assert crypto.constant_time_equal(b"abc", b"abc")
    assert not crypto.constant_time_equal(b"abc", b"abd")
