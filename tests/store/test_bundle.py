"""Pre-CPL evidence bundle: signed with the bench SMKI's signing key, verifies; tampered, re-signed by a key
off the chain, or holding a private key, it does not."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness.errors import InputError
from harness.store.bundle import MANIFEST, build, holds_private_key, smki_signer, verify
from nightly_runs import write_sequence
from rig.cli import main

SMKI = Path("bench") / "provisioning" / "smki"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sequence(tmp_path_factory.mktemp("runs"), smki=True)[2]


def rewrite(bundle: Path, out: Path, change) -> Path:
    """A copy of `bundle` with `change(name, data) -> data or None (drop)` applied to every member."""
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info))
            if data is not None:
                dst.writestr(info.filename, data)
    return out


def test_bundle_verifies_and_holds_no_private_key(run_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle.zip"
    runner = CliRunner()
    made = runner.invoke(main, ["results", "bundle", str(run_folder), "-o", str(out)])
    assert made.exit_code == 0, made.output
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read(MANIFEST))
        assert not any(holds_private_key(zf.read(n)) for n in names)
    assert {"run.json", "junit.xml", "bench.json", "manifest.sig", "signer/0.pem"} <= set(names)
    assert any(n.endswith("han/han.pcap") for n in names) and any(n.endswith("failure.txt") for n in names)
    assert not any(n.startswith("bench/provisioning") or n.endswith(".key") for n in names)
    assert set(manifest["files"]) == set(names) - {"manifest.json", "manifest.sig"}
    root = run_folder / SMKI / "ca" / "root.pem"
    checked = runner.invoke(main, ["results", "verify", str(out), "--root", str(root)])
    assert checked.exit_code == 0 and "verified" in checked.output, checked.output


def test_tampered_bundles_do_not_verify(run_folder: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    build(run_folder, good, smki_signer(run_folder / SMKI))
    assert verify(good) == []
    edited = rewrite(good, tmp_path / "edited.zip",
                     lambda n, d: d.replace(b"BoardLost", b"Radio ok") if n.endswith("failure.txt") else d)
    assert any("failure.txt: SHA-256 does not match" in p for p in verify(edited))
    dropped = rewrite(good, tmp_path / "dropped.zip", lambda n, d: None if n == "junit.xml" else d)
    assert "junit.xml: listed in the manifest but missing" in verify(dropped)
    added = tmp_path / "added.zip"
    rewrite(good, added, lambda n, d: d)
    with zipfile.ZipFile(added, "a") as zf:
        zf.writestr("extra.txt", b"x")
    assert "extra.txt: not listed in the manifest" in verify(added)
    manifest = rewrite(good, tmp_path / "manifest.zip",
                       lambda n, d: d.replace(b'"run_id"', b'"run_id" ') if n == MANIFEST else d)
    assert "manifest signature does not verify" in verify(manifest)
    assert verify(b"not a zip")[0].startswith("not a readable zip")
    assert CliRunner().invoke(main, ["results", "verify", str(edited)]).exit_code == 1


def test_a_key_off_the_bench_chain_is_refused(run_folder: Path, tmp_path: Path) -> None:
    other = write_sequence(tmp_path / "other", smki=True)[2]  # another bench SMKI
    bundle = tmp_path / "other.zip"
    build(run_folder, bundle, smki_signer(other / SMKI))
    assert verify(bundle) == []  # consistent in itself
    root = x509.load_pem_x509_certificate((run_folder / SMKI / "ca" / "root.pem").read_bytes())
    assert "the signer's chain does not end at the given root" in verify(bundle, root)


def test_private_keys_never_enter_a_bundle(run_folder: Path, tmp_path: Path) -> None:
    key_pem = next((run_folder / SMKI).glob("*-ds.key")).read_bytes()
    good = tmp_path / "good.zip"
    build(run_folder, good, smki_signer(run_folder / SMKI))
    leaked = rewrite(good, tmp_path / "leaked.zip", lambda n, d: d + key_pem if n == "run.json" else d)
    assert "run.json: holds a private key" in verify(leaked)

    folder = tmp_path / "leaky"
    folder.mkdir()
    record = json.loads((run_folder / "run.json").read_text())
    (folder / "notes.txt").write_bytes(key_pem)
    record["tests"][0]["evidence"].append("notes.txt")
    (folder / "run.json").write_text(json.dumps(record))
    with pytest.raises(InputError, match="notes.txt: holds a private key"):
        build(folder, tmp_path / "never.zip", smki_signer(run_folder / SMKI))
    assert not (tmp_path / "never.zip").exists()
    der = serialization.load_pem_private_key(key_pem, None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert holds_private_key(der) and not holds_private_key(b"0\x03\x02\x01\x00")
