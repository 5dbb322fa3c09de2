"""The bench CA: the rig's own certificate authority for its emulated devices. It issues ECQV implicit
certificates deterministically from a seed, including deliberately bad ones (for the refusal tests).

Issuance (SEC 4, CA-generated key pair): k random, P = k·G, cert = tbs || P, e = MMO(cert),
device private key d = e·k + d_CA mod n; then ECQV gives d·G = e·P + Q_CA.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from harness.zse import certificate as cert_mod
from harness.zse.certificate import Certificate, Suite1Certificate, Suite2Certificate
from harness.zse.curves import Point
from harness.zse.ecqv import cert_hash
from harness.zse.suites import suite as get_suite

BENCH_ISSUER = b"RIGTSTCA"
# Deliberate flaws `BenchCA.issue` can build in.
FLAWS = ("wrong_issuer", "wrong_subject", "expired", "wrong_key_usage", "bad_point", "wrong_type", "wrong_curve",
         "wrong_hash")


@dataclass(frozen=True)
class Identity:
    """A device's CBKE credentials: certificate, static private key and its public key."""

    certificate: Certificate
    private_key: int
    public_key: Point

    @property
    def cert_bytes(self) -> bytes:
        return self.certificate.encode()


class BenchCA:
    """Certificate authority for suite 1 or 2 with a key derived from `seed`."""

    def __init__(self, suite: int, seed: bytes | str = b"rig test CA", issuer: bytes = BENCH_ISSUER):
        self.suite = get_suite(suite)
        self.curve = self.suite.curve
        self.issuer = bytes(issuer)
        self._seed = seed.encode() if isinstance(seed, str) else bytes(seed)
        self._counter = 0
        self.private_key = self._scalar(b"ca")
        self.public_point = self.curve.base_mul(self.private_key)
        self.public_key = self.curve.compress(self.public_point)

    def _scalar(self, label: bytes) -> int:
        n = self.curve.n
        digest = hashlib.sha512(self._seed + b"|" + label).digest()
        return int.from_bytes(digest, "big") % (n - 1) + 1

    def issue(self, subject: bytes, *, flaw: str | None = None, valid_from: int = 1_700_000_000,
              valid_for: int = cert_mod.NO_EXPIRY, key_usage: int = 0x88, now: int | None = None) -> Identity:
        """Issue a certificate for `subject` (8-octet big-endian EUI-64). `flaw` (one of FLAWS) builds a bad one;
        'expired' sets the validity to end one second before `now` (default `valid_from` + 1 day)."""
        if len(subject) != 8:
            raise ValueError("subject must be an 8-octet EUI-64")
        if flaw is not None and flaw not in FLAWS:
            raise ValueError(f"unknown flaw {flaw!r}; choose from {FLAWS}")
        if self.suite.number == 1 and flaw in ("expired", "wrong_key_usage", "wrong_type", "wrong_curve",
                                                 "wrong_hash"):
            raise ValueError(f"suite-1 certificates have no field for flaw {flaw!r}")
        self._counter += 1
        k = self._scalar(b"k%d" % self._counter)
        issuer = b"BADISSUE" if flaw == "wrong_issuer" else self.issuer
        if flaw == "wrong_subject":
            subject = bytes(b ^ 0xFF for b in subject)
        tbs = self._template(subject, issuer, valid_from, valid_for, key_usage, flaw, now)
        reconstruction = self._bad_point() if flaw == "bad_point" else self.curve.compress(self.curve.base_mul(k))
        cert = tbs.replace(reconstruction=reconstruction)
        d = (cert_hash(cert) * k + self.private_key) % self.curve.n
        public = None if flaw == "bad_point" else self.curve.base_mul(d)
        return Identity(cert, d, public)

    def _template(self, subject: bytes, issuer: bytes, valid_from: int, valid_for: int, key_usage: int,
                  flaw: str | None, now: int | None) -> Certificate:
        blank = bytes(self.suite.curve.point_octets)
        blank = b"\x02" + blank[1:]
        if self.suite.number == 1:
            return Suite1Certificate(blank, subject, issuer, cert_mod.SE_PROFILE.to_bytes(2, "big") + bytes(8))
        if flaw == "expired":
            now = valid_from + 86400 if now is None else now
            valid_for = max(0, now - 1 - valid_from)
        serial = self._counter.to_bytes(8, "big")
        return Suite2Certificate(
            serial=serial, issuer=issuer, valid_from=valid_from, valid_to=valid_for, subject=subject,
            key_usage=0x80 if flaw == "wrong_key_usage" else key_usage, reconstruction=blank,
            cert_type=0x01 if flaw == "wrong_type" else cert_mod.TYPE_IMPLICIT,
            curve=0x0C if flaw == "wrong_curve" else cert_mod.CURVE_SECT283K1,
            hash=0x07 if flaw == "wrong_hash" else cert_mod.HASH_AES_MMO)

    def _bad_point(self) -> bytes:
        """A compressed point whose x has no y on the curve (Tr(beta) = 1)."""
        f, curve = self.curve.field, self.curve
        x = 2
        while True:
            beta = x ^ curve.a ^ f.mul(curve.b, f.sqr(f.inv(x)))
            if f.trace(beta):
                return b"\x03" + x.to_bytes(curve.octets, "big")
            x += 1
