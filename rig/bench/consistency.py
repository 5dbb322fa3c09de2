"""Checks of a bench as a whole, before anything is started: every role its own EUI-64, every port used once,
heap sizes a simulated board can boot with, and DUT certificates that parse and name the DUT's EUI-64.

Each check raises `BenchFileError` naming the file, the field and what was expected.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography import x509

from harness.errors import InputError
from rig.bench.model import Bench

MIN_HEAP = 128 * 1024  # the firmware needs about 96 KB to boot and answer its hello (measured with rig bench check)
MAX_HEAP = 64 * 1024 * 1024  # more than any board the rig emulates has
ZSE_CERTIFICATE = "zse"
GBCS_PREFIX = "gbcs_"
_URL = re.compile(r"^[a-z][a-z0-9+]*://")
_HEAP = re.compile(r"^([0-9]+)([KM]?)$")


def heap_bytes(text: str) -> int:
    """A heapsize ("256K", "2M", "300000") in bytes; ValueError when it is not one."""
    match = _HEAP.match(text)
    if match is None:
        raise ValueError(f"is {text!r}; expected a heap size such as \"2M\" or \"256K\"")
    return int(match.group(1)) * {"": 1, "K": 1024, "M": 1024 * 1024}[match.group(2)]


def check_heap(text: str) -> None:
    """ValueError unless `text` is a heap size a simulated board boots with."""
    size = heap_bytes(text)
    if size < MIN_HEAP:
        raise ValueError(f"is {text!r}; a board needs at least {MIN_HEAP // 1024}K to boot the firmware")
    if size > MAX_HEAP:
        raise ValueError(f"is {text!r}; expected at most {MAX_HEAP // (1024 * 1024)}M")


def check_bench(bench: Bench, *, check_files: bool = True) -> None:
    """Raise BenchFileError for the first whole-bench problem (see the module docstring)."""
    from rig.bench.benchfile import BenchFileError

    source = str(bench.source) if bench.source else bench.name
    euis: dict[str, str] = {}
    for name, role in bench.roles.items():
        other = euis.setdefault(role.eui64, name)
        if other != name:
            raise BenchFileError(source, f"roles.{name}.eui64",
                                 f"{role.eui64} is also roles.{other}'s EUI-64; every role needs its own")
    ports: dict[str, str] = {}
    for field, port in _ports(bench):
        other = ports.setdefault(_same_device(port), field)
        if other != field:
            raise BenchFileError(source, field, f"{port} is also {other}; every board and radio needs its own port")
    if check_files:
        for name, role in bench.duts().items():
            for cert_name, path in role.certificates.items():
                try:
                    check_certificate(cert_name, path, role.eui64)
                except InputError as exc:
                    raise BenchFileError(source, f"roles.{name}.certificates.{cert_name}", str(exc)) from None


def _ports(bench: Bench) -> list[tuple[str, str]]:
    """(field, port) of every board and radio on a serial port or URL."""
    out = []
    for name, role in bench.emulators().items():
        if not role.simulated:
            out.append((f"roles.{name}.board", role.board))
        if not role.radio.simulated and role.radio.port:
            out.append((f"roles.{name}.radio.port", role.radio.port))
    for name, radio in bench.sniffers.items():
        if not radio.simulated and radio.port:
            out.append((f"sniffers.{name}.port", radio.port))
    return out


def _same_device(port: str) -> str:
    """Ports that reach the same device compare equal (/dev/serial/by-id/ links resolve to their tty)."""
    return port if _URL.match(port) else os.path.realpath(port)


def check_certificate(name: str, path: Path, eui64: str) -> None:
    """InputError unless the file parses as the certificate `name` says and names `eui64`:
    ``zse`` an ECQV implicit certificate (48 or 74 octets, binary or hex), ``gbcs_*`` an X.509 device
    certificate (PEM or DER) whose hardwareModuleName is the EUI-64."""
    data = path.read_bytes()
    if name == ZSE_CERTIFICATE:
        subject = _zse_subject(data, path)
    elif name.startswith(GBCS_PREFIX):
        subject = _gbcs_subject(data, path)
    else:
        raise InputError(f"unknown certificate kind; expected {ZSE_CERTIFICATE} or {GBCS_PREFIX}<usage> "
                         "(e.g. gbcs_ds, gbcs_ka)", field=name)
    if subject.hex().upper() != eui64:
        raise InputError(f"{path} is the certificate of {subject.hex().upper()}, not of this device ({eui64})",
                         field=name)


def _zse_subject(data: bytes, path: Path) -> bytes:
    from harness.zse import certificate

    if len(data) not in (48, 74):
        try:
            data = bytes.fromhex(data.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            raise InputError(f"{path} is not a ZSE certificate (48 or 74 octets, binary or hex)",
                             field=ZSE_CERTIFICATE) from None
    try:
        return certificate.decode(data).subject
    except InputError as exc:
        raise InputError(f"{path} is not a ZSE certificate ({exc})", field=ZSE_CERTIFICATE) from None


def _gbcs_subject(data: bytes, path: Path) -> bytes:
    from harness.smki.certs import certificate_eui

    try:
        cert = x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise InputError(f"{path} is not an X.509 certificate (PEM or DER): {exc}", field="certificate") from None
    try:
        return certificate_eui(cert)
    except InputError as exc:
        raise InputError(f"{path}: {exc}", field="certificate") from None
