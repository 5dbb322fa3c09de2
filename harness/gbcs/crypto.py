"""GBCS cryptographic primitives (gbcs.md section 2): ECDH Z, the one-round KDF, 12-byte GMAC, AES-GCM with a
12-byte tag, ECDSA P-256 with raw r||s signatures, constant-time comparison."""
from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ALGORITHM_ID = bytes.fromhex("60857406080300")  # AES-GCM-128, Green Book
CRA_ENCRYPTION = 0x04
TAG_LENGTH = 12
ENCRYPTION_HEADER = bytes([0x31, 0, 0, 0, 0])  # authenticated + encrypted, suite 1, invocation counter 0


class DecryptionFailed(Exception):
    """AES-GCM authentication of ciphertext failed (wrong key or tampered data)."""


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(bytes(a), bytes(b))


def ecdh_z(private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The shared secret Z (x-coordinate, 32 bytes) of static-static ECDH."""
    return private_key.exchange(ec.ECDH(), public_key)


def other_info(originator: bytes, cra: int, counter: int, recipient: bytes) -> bytes:
    """KDF OtherInfo: AlgorithmID || originator || 09 || CRA (or 04) || counter || recipient (33 bytes)."""
    return ALGORITHM_ID + bytes(originator) + b"\x09" + bytes([cra]) + counter.to_bytes(8, "big") + bytes(recipient)


def kdf(z: bytes, originator: bytes, cra: int, counter: int, recipient: bytes) -> bytes:
    """NIST SP800-56A concatenation KDF, one SHA-256 round, truncated to an AES-128 key."""
    return hashlib.sha256(b"\x00\x00\x00\x01" + z + other_info(originator, cra, counter, recipient)).digest()[:16]


def iv_for(originator: bytes) -> bytes:
    """GCM IV: originator system title || 00000000."""
    return bytes(originator) + b"\x00\x00\x00\x00"


def gcm_encrypt(key: bytes, iv: bytes, aad: bytes, plaintext: bytes, tag_length: int = TAG_LENGTH) -> tuple[bytes, bytes]:
    """AES-GCM: return (ciphertext, tag truncated to ``tag_length``)."""
    enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    ct = enc.update(plaintext) + enc.finalize()
    return ct, enc.tag[:tag_length]


def gcm_decrypt(key: bytes, iv: bytes, aad: bytes, ciphertext: bytes, tag: bytes) -> bytes:
    """AES-GCM decryption with a (possibly truncated, >= 12 byte) tag; raises DecryptionFailed."""
    try:
        dec = Cipher(algorithms.AES(key), modes.GCM(iv, bytes(tag), min_tag_length=TAG_LENGTH)).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(ciphertext) + dec.finalize()
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed("GCM tag does not authenticate") from exc


def gmac(key: bytes, iv: bytes, aad: bytes) -> bytes:
    """The 12-byte GBCS MAC: the GCM tag over ``aad`` with empty plaintext, truncated."""
    return gcm_encrypt(key, iv, aad, b"")[1]


def sign_raw(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA P-256 / SHA-256 signature as raw r||s (64 bytes)."""
    r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_raw(public_key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` (raw r||s) is a valid ECDSA P-256 / SHA-256 signature of ``data``."""
    if len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if r == 0 or s == 0:
        return False
    try:
        public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
