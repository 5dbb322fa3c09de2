"""Deploying the firmware to a board with mpremote: files whose sha256 already matches are not copied again.

Layout on the board: firmware/main.py -> /main.py, every other firmware/**.py -> /lib/firmware/**, and a
generated /config.json (role, board_id, eui64). Stale .py files under /lib/firmware are removed.
"""
from __future__ import annotations

import ast
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from firmware.version import FIRMWARE_VERSION
from harness.errors import BoardLost, InputError
from rig.boardlink.errors import HelloMismatch
from rig.boardlink.link import BoardLink

FIRMWARE_DIR = Path(__file__).resolve().parent.parent.parent / "firmware"
LIB_DIR = "/lib/firmware"

Progress = Callable[[str], None]
OPEN_ATTEMPTS = 3

# Runs on the board: prints repr((hashes of PATHS, every file under LIB_DIR)).
_SURVEY = """
import os, hashlib, binascii, gc
gc.collect()  # the interrupted firmware's objects are garbage now: free them before listing
def _h(p):
    try:
        f = open(p, 'rb')
    except OSError:
        return None
    h = hashlib.sha256()
    b = bytearray(512)
    while True:
        n = f.readinto(b)
        if not n:
            break
        h.update(memoryview(b)[:n])
    f.close()
    return binascii.hexlify(h.digest()).decode()
def _walk(d, out):
    try:
        entries = list(os.ilistdir(d))
    except OSError:
        return out
    for e in entries:
        p = d + '/' + e[0]
        if e[1] == 0x4000:
            _walk(p, out)
        else:
            out.append(p)
    return out
print(repr(([_h(p) for p in PATHS], _walk(LIB, []))))
"""


@dataclass
class DeployReport:
    """What a deploy did."""

    port: str
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def firmware_files(root: Path = FIRMWARE_DIR) -> dict[str, bytes]:
    """Board path -> content for every firmware file (main.py to '/', the package to /lib/firmware)."""
    files = {"/main.py": (root / "main.py").read_bytes()}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel == Path("main.py") or "__pycache__" in rel.parts:
            continue
        files[f"{LIB_DIR}/{rel.as_posix()}"] = path.read_bytes()
    return files


def board_config(role: str, board_id: str, eui64: str, extra: dict | None = None) -> bytes:
    """The /config.json a board boots with (`extra`: further fields, e.g. the role's GBCS identity)."""
    config = dict(extra or {}, role=role, board_id=board_id, eui64=eui64)
    return json.dumps(config, separators=(",", ":")).encode()


def deploy(port: str, config: bytes, *, baud: int = 115200, root: Path = FIRMWARE_DIR,
           progress: Progress | None = None, name: str | None = None) -> DeployReport:
    """Copy changed firmware files and /config.json over mpremote, then soft-reset so main.py starts.
    Errors name the board by `name` (its role) when given, else by its port."""
    say = progress or (lambda _line: None)
    where = f"{name} board" if name else f"board on {port}"
    started = time.monotonic()
    files = firmware_files(root)
    files["/config.json"] = config
    report = DeployReport(port=port)
    transport = _open(port, baud)
    try:
        transport.enter_raw_repl(soft_reset=False)
        paths = list(files)
        remote_hashes, remote_files = _survey(transport, paths)
        made: set[str] = set()
        for path, remote in zip(paths, remote_hashes):
            data = files[path]
            if remote == hashlib.sha256(data).hexdigest():
                report.unchanged.append(path)
                continue
            _make_parents(transport, path, made)
            transport.fs_writefile(path, data)
            report.copied.append(path)
            say(f"  copied {path} ({len(data)} bytes)")
        for stale in sorted(set(remote_files) - set(files)):
            if stale.endswith(".py"):
                transport.fs_rmfile(stale)
                report.removed.append(stale)
                say(f"  removed stale {stale}")
        transport.exit_raw_repl()
        transport.serial.write(b"\x04")  # friendly-mode soft reset: boot.py, then main.py
        # wait for the reset to begin, so the next client's ^C cannot reach the board while it goes down
        seen = transport.read_until(1, b"soft reboot\r\n", timeout=5)
        if not seen.endswith(b"soft reboot\r\n"):
            raise BoardLost(f"{where} did not soft-reset after the deploy (got {seen[-80:]!r})")
    except (TransportError, OSError) as e:
        raise BoardLost(f"deploy to the {where} failed: {e}") from None
    finally:
        transport.close()
    report.seconds = time.monotonic() - started
    say(f"  {len(report.copied)} copied, {len(report.unchanged)} unchanged, soft reset ({report.seconds:.2f} s)")
    return report


def _open(port: str, baud: int) -> SerialTransport:
    """The board's port, opened over mpremote; a port that fails to open is tried again for `OPEN_ATTEMPTS` (a
    loaded host can refuse a pty for a moment), then it is a lost board."""
    for _ in range(OPEN_ATTEMPTS - 1):
        try:
            return SerialTransport(port, baudrate=baud)
        except TransportError:
            time.sleep(0.5)
    try:
        return SerialTransport(port, baudrate=baud)
    except TransportError as e:
        raise BoardLost(f"cannot open board port {port}: {e}") from None


def _survey(transport: SerialTransport, paths: list[str]) -> tuple[list[str | None], list[str]]:
    """Ask the board for the sha256 of each path and the files under LIB_DIR, in one exec."""
    out = transport.exec(f"PATHS = {paths!r}\nLIB = {LIB_DIR!r}\n" + _SURVEY)
    try:
        hashes, listed = ast.literal_eval(out.decode().strip())
        if len(hashes) != len(paths) or not all(h is None or isinstance(h, str) for h in hashes):
            raise ValueError("wrong shape")
        if not all(isinstance(p, str) for p in listed):
            raise ValueError("wrong shape")
    except (ValueError, SyntaxError, TypeError, UnicodeDecodeError) as e:
        raise InputError(f"board answered the file survey with {out[:80]!r} ({e})", field="survey") from None
    return hashes, listed


def _make_parents(transport: SerialTransport, path: str, made: set[str]) -> None:
    parts = path.strip("/").split("/")[:-1]
    current = ""
    for part in parts:
        current += "/" + part
        if current in made:
            continue
        if not transport.fs_exists(current):
            transport.fs_mkdir(current)
        made.add(current)


def connect_checked(port: str, role: str, *, baud: int = 115200, log_path: Path | str | None = None,
                    timeout: float = 5.0) -> BoardLink:
    """Open the board link, hello, and check the role and that the firmware is this checkout's (running it, or
    running an OTA image activated over it)."""
    link = BoardLink(port, baudrate=baud, log_path=log_path, name=role)
    try:
        hello = link.connect(expect_role=role, timeout=timeout)
        if FIRMWARE_VERSION not in (hello.fw, hello.base_fw):
            raise HelloMismatch("firmware version", FIRMWARE_VERSION, hello.fw, link.where)
    except BaseException:
        link.close()
        raise
    return link
