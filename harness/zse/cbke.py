"""CBKE key agreement: ECMQV (SEC1 §3.4), the X9.63 KDF over AES-MMO, and the MACU/MACV key confirmation."""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zse.curves import Curve, Point
from harness.zse.mmo import hmac_mmo, mmo_hash

INITIATOR = "initiator"
RESPONDER = "responder"


def avf(curve: Curve, q: Point) -> int:
    """Associate value: (int(x_Q) mod 2^L) + 2^L with L = ceil(bitlen(n) / 2)."""
    half = (curve.n.bit_length() + 1) // 2
    return (q[0] & ((1 << half) - 1)) | (1 << half)


def ecmqv(curve: Curve, d_static: int, d_eph: int, q_eph: Point, peer_static: Point, peer_eph: Point) -> bytes:
    """Shared secret Z = x(h·s·(Q_e' + avf(Q_e')·Q_s')) with s = d_e + avf(Q_e)·d_s mod n, fixed-width octets."""
    n = curve.n
    s = (d_eph + avf(curve, q_eph) * d_static) % n
    # h·s·(Q_e' + avf·Q_s') computed as s·(h·Q_e') + (s·avf mod n)·(h·Q_s'): both h-multiples have order n or 1
    h_eph, h_static = curve.mul(curve.h, peer_eph), curve.mul(curve.h, peer_static)
    if h_eph is None:
        raise InputError("partner ephemeral point has small order", field="ephemeral_data")
    if h_static is None:
        raise InputError("partner static public key has small order", field="public_key")
    p = curve.mul_subgroup([(s, h_eph), (s * avf(curve, peer_eph) % n, h_static)])
    if p is None:
        raise InputError("ECMQV result is the point at infinity", field="ephemeral_data")
    return p[0].to_bytes(curve.octets, "big")


def kdf(z: bytes) -> tuple[bytes, bytes]:
    """(MacKey, KeyData) = (MMO(Z || 00000001), MMO(Z || 00000002))."""
    return mmo_hash(z + b"\x00\x00\x00\x01"), mmo_hash(z + b"\x00\x00\x00\x02")


def mac_u(mac_key: bytes, id_u: bytes, id_v: bytes, qe_u: bytes, qe_v: bytes) -> bytes:
    """MACU = MAC(0x02 || ID_U || ID_V || Q_eU || Q_eV); IDs are big-endian EUI-64s, points as sent."""
    return hmac_mmo(mac_key, b"\x02" + id_u + id_v + qe_u + qe_v)


def mac_v(mac_key: bytes, id_u: bytes, id_v: bytes, qe_u: bytes, qe_v: bytes) -> bytes:
    """MACV = MAC(0x03 || ID_V || ID_U || Q_eV || Q_eU)."""
    return hmac_mmo(mac_key, b"\x03" + id_v + id_u + qe_v + qe_u)


@dataclass(frozen=True)
class Derived:
    """Everything one side of CBKE derives."""

    shared_secret: bytes
    mac_key: bytes
    key_data: bytes
    mac_u: bytes
    mac_v: bytes


def derive(curve: Curve, role: str, *, d_static: int, d_eph: int, q_eph: Point, own_id: bytes,
           peer_static: Point, peer_eph: Point, peer_id: bytes) -> Derived:
    """Run ECMQV, the KDF and both MACs for `role` ('initiator' = U or 'responder' = V)."""
    if role not in (INITIATOR, RESPONDER):
        raise ValueError(f"role must be {INITIATOR!r} or {RESPONDER!r}")
    z = ecmqv(curve, d_static, d_eph, q_eph, peer_static, peer_eph)
    mac_key, key_data = kdf(z)
    own_qe, peer_qe = curve.compress(q_eph), curve.compress(peer_eph)
    if role == INITIATOR:
        ids = (own_id, peer_id, own_qe, peer_qe)
    else:
        ids = (peer_id, own_id, peer_qe, own_qe)
    return Derived(z, mac_key, key_data, mac_u(mac_key, *ids), mac_v(mac_key, *ids))
