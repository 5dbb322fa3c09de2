"""ECQV (SEC 4) implicit-certificate public-key reconstruction and certificate checks used before CBKE."""
from __future__ import annotations

from harness.errors import InputError
from harness.zse import certificate as cert_mod
from harness.zse.certificate import Certificate
from harness.zse.curves import Point
from harness.zse.mmo import mmo_hash
from harness.zse.suites import suite as get_suite


def cert_hash(cert: Certificate) -> int:
    """e = integer(AES-MMO(whole certificate))."""
    return int.from_bytes(mmo_hash(cert.encode()), "big")


def reconstruct(cert: Certificate, ca_public: Point) -> Point:
    """Q = e·B + Q_CA. InputError (field 'reconstruction') when B is not on the curve or Q is the point at infinity."""
    curve = get_suite(cert.suite).curve
    b = curve.decompress(cert.reconstruction, field="reconstruction")
    q = curve.add(curve.mul(cert_hash(cert), b), ca_public)
    if q is None:
        raise InputError("reconstructed public key is the point at infinity", field="reconstruction")
    return q


def reconstruct_bytes(cert: Certificate, ca_public: bytes) -> bytes:
    """Compressed reconstructed public key from a compressed CA key."""
    curve = get_suite(cert.suite).curve
    return curve.compress(reconstruct(cert, curve.decompress(ca_public, field="ca_public_key")))


def check_fields(cert: Certificate) -> None:
    """Suite-2 structural checks for key agreement (type, curve, hash, key usage); InputError naming the field."""
    if cert.suite != 2:
        return
    if cert.cert_type != cert_mod.TYPE_IMPLICIT:
        raise InputError(f"certificate type 0x{cert.cert_type:02X} is not implicit (0x00)", field="type")
    if cert.curve != cert_mod.CURVE_SECT283K1:
        raise InputError(f"curve 0x{cert.curve:02X} is not sect283k1 (0x0D)", field="curve")
    if cert.hash != cert_mod.HASH_AES_MMO:
        raise InputError(f"hash 0x{cert.hash:02X} is not AES-MMO (0x08)", field="hash")
    if not cert.key_usage & cert_mod.KEY_USAGE_KEY_AGREEMENT:
        raise InputError(f"key usage 0x{cert.key_usage:02X} lacks key agreement (0x08)", field="key_usage")
