"""Pre-CPL evidence bundle: a run's files, its bench description and a manifest of their SHA-256s, signed
ECDSA P-256 / SHA-256 with the bench's signing key from the bench SMKI, and its check.

Layout: the run's files under their own names, ``bench.json``, ``manifest.json`` (run id, signer, per file its
SHA-256), ``manifest.sig`` (DER ECDSA signature of manifest.json) and ``signer/`` (the signer's certificate and
its CA chain, certificates only). The bench's signing key is the digital-signing key of one SMKI party, by
default the ACB (the bench plays the DCC, and the ACB is the DCC's signing identity). A bundle never holds a
private key: building refuses one, and verifying fails on one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.errors import InputError
from harness.smki.roles import DEFAULT_PARTIES
from harness.store.runfolder import bench_description, read_run, run_files

MANIFEST, SIGNATURE, SIGNER_DIR = "manifest.json", "manifest.sig", "signer"
DEFAULT_SIGNER = "acb"
PRIVATE_MARKERS = (b"PRIVATE KEY-----",)


@dataclass(frozen=True)
class Signer:
    """A signing key and its certificate chain (leaf first)."""

    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...]


def smki_signer(smki: Path, party: str = DEFAULT_SIGNER) -> Signer:
    """The digital-signing key of `party` in the bench SMKI directory `smki`, with its certificate chain."""
    try:
        manifest = json.loads((smki / "smki.json").read_text())
        eui = manifest["parties"][party]["eui"]
    except (OSError, ValueError, KeyError, TypeError):
        if party not in DEFAULT_PARTIES:
            raise InputError(f"no party {party!r} in the bench SMKI", field=str(smki)) from None
        eui = DEFAULT_PARTIES[party][1]
    stem = smki / f"{str(eui).lower()}-ds"
    try:
        key = serialization.load_pem_private_key(stem.with_suffix(".key").read_bytes(), password=None)
        leaf = x509.load_pem_x509_certificate(stem.with_suffix(".pem").read_bytes())
        chain = [x509.load_pem_x509_certificate((smki / "ca" / f"{n}.pem").read_bytes()) for n in ("org-ca", "root")
                 if (smki / "ca" / f"{n}.pem").is_file()]
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the {party} signing key ({exc})", field=str(smki)) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InputError("the signing key is not ECDSA P-256", field=str(stem))
    return Signer(key, (leaf, *chain))


def holds_private_key(data: bytes) -> bool:
    """Whether `data` holds a PEM private key or parses as a DER private key."""
    if any(marker in data for marker in PRIVATE_MARKERS):
        return True
    try:
        serialization.load_der_private_key(data, password=None)
        return True
    except (ValueError, TypeError):
        return False


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def build(folder: Path, out: Path, signer: Signer) -> dict:
    """Write the evidence bundle of the run in `folder` to `out`; returns the manifest."""
    run = read_run(folder)
    members = {name: (folder / name).read_bytes() for name in run_files(folder, run)}
    members["bench.json"] = bench_description(run)
    for i, cert in enumerate(signer.chain):
        members[f"{SIGNER_DIR}/{i}.pem"] = _cert_pem(cert)
    for name, data in members.items():
        if holds_private_key(data):
            raise InputError("holds a private key; the bundle must not", field=name)
    manifest = {"run_id": run.run_id, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "signer": signer.chain[0].subject.rfc4514_string(), "algorithm": "ECDSA P-256 SHA-256",
                "files": {n: hashlib.sha256(d).hexdigest() for n, d in sorted(members.items())}}
    text = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    signature = signer.key.sign(text, ec.ECDSA(hashes.SHA256()))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(members.items()):
            zf.writestr(name, data)
        zf.writestr(MANIFEST, text)
        zf.writestr(SIGNATURE, signature)
    return manifest


def _check_chain(chain: list[x509.Certificate], root: x509.Certificate | None) -> list[str]:
    problems = []
    for child, parent in zip(chain, chain[1:]):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            problems.append(f"certificate {child.subject.rfc4514_string()} is not issued by the next in the chain")
    if root is not None and (not chain or chain[-1] != root):
        problems.append("the signer's chain does not end at the given root")
    return problems


def verify(bundle: bytes | Path, root: x509.Certificate | None = None) -> list[str]:
    """What is wrong with an evidence bundle (empty when it verifies): signature, hashes, extra or missing
    files, the signer's chain (to `root` when given) and any private key inside."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(bundle) if isinstance(bundle, bytes) else bundle)
        data = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        return [f"not a readable zip ({exc})"]
    problems = [f"{name}: holds a private key" for name, d in data.items() if holds_private_key(d)]
    if MANIFEST not in data or SIGNATURE not in data:
        return problems + ["no manifest.json or manifest.sig"]
    signer_names = sorted((n for n in data if n.startswith(SIGNER_DIR + "/")), key=lambda n: int(
        n.split("/")[1].split(".")[0]) if n.split("/")[1].split(".")[0].isdigit() else 1 << 30)
    try:
        chain = [x509.load_pem_x509_certificate(data[n]) for n in signer_names]
        manifest = json.loads(data[MANIFEST])
        files = dict(manifest["files"])
    except (ValueError, KeyError, TypeError) as exc:
        return problems + [f"unreadable manifest or signer certificate ({exc})"]
    if not chain:
        return problems + ["no signer certificate"]
    key = chain[0].public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        return problems + ["the signer's key is not ECDSA P-256"]
    try:
        key.verify(data[SIGNATURE], data[MANIFEST], ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        problems.append("manifest signature does not verify")
    for name, digest in sorted(files.items()):
        if name not in data:
            problems.append(f"{name}: listed in the manifest but missing")
        elif hashlib.sha256(data[name]).hexdigest() != digest:
            problems.append(f"{name}: SHA-256 does not match the manifest")
    for name in sorted(set(data) - set(files) - {MANIFEST, SIGNATURE}):
        problems.append(f"{name}: not listed in the manifest")
    return problems + _check_chain(chain, root)
