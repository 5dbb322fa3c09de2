"""Mint a bench SMKI into a directory in the RTDS keystore layout.

Files: ``<eui lower>[-pp]-<ka|ds>.pem`` (certificate) and ``.key`` (PKCS#8 private key), the CA chain under
``ca/`` and a ``smki.json`` manifest naming every party and device. The keystore reads the directory unchanged.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.errors import InputError
from harness.smki.certs import Usage, ca_certificate, device_certificate, new_key, organisation_certificate
from harness.smki.roles import DEFAULT_DEVICES, DEFAULT_PARTIES, Role, parse_eui

MANIFEST = "smki.json"


@dataclass(frozen=True)
class Minted:
    """What was written: party name -> (role, EUI) and device role -> EUI (EUIs upper-case hex)."""

    directory: Path
    parties: dict[str, tuple[Role, str]]
    devices: dict[str, str]


def _write(path: Path, data: bytes, private: bool = False) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _write_pair(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    _write(directory / f"{stem}.pem", cert.public_bytes(serialization.Encoding.PEM))
    _write(directory / f"{stem}.key", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()), private=True)


def mint(directory: Path, devices: Mapping[str, str] | None = None,
         parties: Mapping[str, str] | None = None) -> Minted:
    """Create a bench SMKI in ``directory``.

    ``devices`` maps a device role name to its EUI (default: the RTDS devices A0..A5); ``parties`` overrides the
    EUI of default remote parties by name (``supplier``, ``acb``, ``network_operator``, ...).
    """
    unknown = set(parties or {}) - set(DEFAULT_PARTIES)
    if unknown:
        raise InputError(f"unknown remote party {sorted(unknown)[0]!r} (known: {', '.join(DEFAULT_PARTIES)})",
                         field="party")
    device_euis = {name: parse_eui(eui, f"device {name}").hex().upper()
                   for name, eui in (DEFAULT_DEVICES if devices is None else devices).items()}
    party_euis = {name: parse_eui((parties or {}).get(name, spec[1]), f"party {name}").hex().upper()
                  for name, spec in DEFAULT_PARTIES.items()}
    all_euis = list(device_euis.values()) + list(party_euis.values())
    if len(set(all_euis)) != len(all_euis):
        raise InputError("two identities share an EUI", field="eui")

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ca").mkdir(exist_ok=True)
    root_key, org_key, dev_key = new_key(), new_key(), new_key()
    root = ca_certificate("Bench Root", root_key)
    org_ca = ca_certificate("Z1", org_key, root, root_key)
    dev_ca = ca_certificate("E357", dev_key, root, root_key)
    for stem, cert, key in (("root", root, root_key), ("org-ca", org_ca, org_key), ("device-ca", dev_ca, dev_key)):
        _write_pair(directory / "ca", stem, cert, key)

    for name, (role, _, has_ka, has_pp) in DEFAULT_PARTIES.items():
        eui = bytes.fromhex(party_euis[name])
        stems = [("ds", Usage.DS)] + ([("ka", Usage.KA)] if has_ka else []) + ([("pp-ka", Usage.KA)] if has_pp else [])
        for suffix, usage in stems:
            key = new_key()
            cert = organisation_certificate(role, eui, usage, key.public_key(), org_ca, org_key, name=name.upper())
            _write_pair(directory, f"{eui.hex()}-{suffix}", cert, key)
    for name, eui_hex in device_euis.items():
        eui = bytes.fromhex(eui_hex)
        for usage in (Usage.DS, Usage.KA):
            key = new_key()
            cert = device_certificate(eui, usage, key.public_key(), dev_ca, dev_key)
            _write_pair(directory, f"{eui.hex()}-{usage.value}", cert, key)

    manifest = {"parties": {n: {"role": DEFAULT_PARTIES[n][0].ou, "eui": e} for n, e in party_euis.items()},
                "devices": device_euis}
    _write(directory / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return Minted(directory, {n: (DEFAULT_PARTIES[n][0], e) for n, e in party_euis.items()}, device_euis)


def ca_chain_certificate(directory: Path, stem: str) -> x509.Certificate:
    """A certificate of the bench CA chain ``mint`` wrote: ``root``, ``org-ca`` or ``device-ca``."""
    return x509.load_pem_x509_certificate((Path(directory) / "ca" / f"{stem}.pem").read_bytes())
