"""Reading a bench file (TOML) into the bench model. Every error names the file, the field and what was expected.

    [bench]
    name = "two-board USB bench"
    channel = 15                       # optional, 11..26 (default 15): the channel the CHF forms the HAN on
    long_limit = 900                   # optional: seconds of waits a test may make in real time without --allow-long

    [roles.chf]                        # an emulated role
    kind = "emulator"
    board = "/dev/serial/by-id/usb-MicroPython_..."   # or "sim", or any pyserial URL
    reset = "dtr"                      # optional: "machine" (default) or "dtr"
    firmware_version = "1.1"           # optional: the release this emulated device reports (default: the rig's own)
    radio = { kind = "ezsp", port = "/dev/serial/by-id/usb-Silicon_Labs_...", baud = 115200, flow_control = "hardware" }  # or { kind = "sim" }

    [roles.esme]                       # a device under test
    kind = "dut"
    eui64 = "00:0D:6F:00:0A:BC:DE:F0"
    install_code = "83FED3407A939723A5C639B26916D505C3B5"
    via = "chf"                        # the emulator whose radio reaches it
    certificates = { zse = "certs/esme-zse.cert" }   # paths relative to the bench file
    manufacturer = "Acme Meters"       # optional: the device's identity, recorded with every run in the results store
    model = "ESME-3"
    firmware_version = "2.1.0"

    [sniffers.s1]
    kind = "ezsp"
    port = "/dev/ttyUSB2"

    [radio]                            # optional: conditions of the simulated medium
    loss = 0.1                         # probability a frame is lost on its way to each receiver, 0 <= loss < 1
    seed = 7                           # seed of the loss draws (the same seed gives the same losses)
"""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from harness.errors import InputError
from rig.bench import identifiers
from rig.bench.consistency import check_bench, check_heap
from rig.bench.model import (DEFAULT_BAUD, DEFAULT_CHANNEL, DEFAULT_EZSP_BAUD, DEFAULT_HEAP, DEFAULT_LONG_LIMIT,
                             DEFAULT_SEED, EZSP,
                             FLOW_CONTROLS, RADIO_KINDS, RESETS, ROLES, SIM, Bench, Dut, Emulator, Radio, Role)

_URL = re.compile(r"^[a-z][a-z0-9+]*://")
_NO_DEFAULT = object()


class BenchFileError(InputError):
    """A bench file is wrong; the message reads "FILE: FIELD: problem"."""

    def __init__(self, source: str, field: str | None, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {field + ': ' if field else ''}{problem}", field=None)
        self.field = field


def sim_eui64(index: int) -> str:
    """The default EUI-64 of the emulator of the `index`-th role (1-based, in ROLES order); locally
    administered, stable across runs, the same in bench files and the built-in bench."""
    return f"0253494D{index:08X}"


class _Reader:
    """Typed access to one table of the file, with errors that name the dotted field."""

    def __init__(self, source: str, table: dict[str, Any], where: str):
        self.source, self.table, self.where = source, table, where

    def error(self, key: str | None, problem: str) -> BenchFileError:
        field = f"{self.where}.{key}" if key and self.where else (key or self.where or None)
        return BenchFileError(self.source, field, problem)

    def get(self, key: str, kind: type | tuple[type, ...], expected: str, default: Any = _NO_DEFAULT) -> Any:
        if key not in self.table:
            if default is _NO_DEFAULT:
                raise self.error(key, f"missing; expected {expected}")
            return default
        value = self.table[key]
        bad_bool = isinstance(value, bool) and kind is int
        if bad_bool or not isinstance(value, kind):
            raise self.error(key, f"is {_type_name(value)} {value!r}; expected {expected}")
        return value

    def sub(self, key: str, expected: str, default: Any = _NO_DEFAULT) -> "_Reader":
        value = self.get(key, dict, expected, default)
        return _Reader(self.source, value, f"{self.where}.{key}" if self.where else key)

    def only(self, allowed: tuple[str, ...]) -> None:
        for key in self.table:
            if key not in allowed:
                raise self.error(key, f"unknown field; expected one of {', '.join(allowed)}")


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def load_bench(path: str | Path, *, check_files: bool = True) -> Bench:
    """Read and validate a bench file. With `check_files`, local device paths and certificate files must exist."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BenchFileError(source, None, "no such bench file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BenchFileError(source, None, f"cannot be read ({e})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BenchFileError(source, None, f"is not valid TOML ({e})") from None
    return parse_bench(data, source=source, base=path.parent, check_files=check_files)


def parse_bench(data: dict[str, Any], *, source: str, base: Path, check_files: bool = True) -> Bench:
    """Validate parsed TOML. `base` is the folder that relative certificate paths are read from."""
    top = _Reader(source, data, "")
    top.only(("bench", "roles", "sniffers", "radio"))
    meta = top.sub("bench", "a [bench] table", {})
    meta.only(("name", "channel", "description", "long_limit"))
    name = meta.get("name", str, "a string naming the bench", Path(source).stem)
    meta.get("description", str, "a string", "")
    channel = meta.get("channel", int, "a Zigbee channel number 11..26", DEFAULT_CHANNEL)
    if not 11 <= channel <= 26:
        raise meta.error("channel", f"is {channel}; expected a Zigbee channel number 11..26")
    long_limit = meta.get("long_limit", (int, float), "a number of seconds > 0", DEFAULT_LONG_LIMIT)
    if isinstance(long_limit, bool) or not long_limit > 0:
        raise meta.error("long_limit", f"is {long_limit!r}; expected a number of seconds > 0")
    roles_table = top.sub("roles", "a [roles.<role>] table for each role on the bench (" + ", ".join(ROLES) + ")")
    if not roles_table.table:
        raise roles_table.error(None, "no roles; expected at least one of " + ", ".join(ROLES))
    roles: dict[str, Role] = {}
    for role_name in roles_table.table:
        if role_name not in ROLES:
            raise roles_table.error(role_name, f"unknown role; expected one of {', '.join(ROLES)}")
        role = roles_table.sub(role_name, "a table describing the role")
        roles[role_name] = _role(role, role_name, base, check_files)
    for role_name, role in roles.items():
        if isinstance(role, Dut):
            target = roles.get(role.via)
            if not isinstance(target, Emulator):
                raise BenchFileError(source, f"roles.{role_name}.via",
                                     f"is {role.via!r}; expected an emulator role on this bench "
                                     f"({', '.join(n for n, r in roles.items() if isinstance(r, Emulator)) or 'none'})")
    sniffers_table = top.sub("sniffers", "[sniffers.<name>] radio tables", {})
    sniffers = {name: _radio(sniffers_table.sub(name, "a radio table"), check_files) for name in sniffers_table.table}
    loss, seed = _radio_conditions(top.sub("radio", "a [radio] table (loss, seed)", {}))
    bench = Bench(name=name, roles=roles, sniffers=sniffers, channel=channel, source=Path(source), loss=loss,
                  seed=seed, long_limit=float(long_limit))
    check_bench(bench, check_files=check_files)
    return bench


def _radio_conditions(radio: _Reader) -> tuple[float, int]:
    """(loss, seed) of the simulated medium from the [radio] table."""
    radio.only(("loss", "seed"))
    loss = radio.get("loss", (int, float), "a probability 0 <= loss < 1", 0.0)
    if isinstance(loss, bool) or not 0.0 <= loss < 1.0:
        raise radio.error("loss", f"is {loss!r}; expected a probability 0 <= loss < 1")
    return float(loss), radio.get("seed", int, "an integer seed", DEFAULT_SEED)


def _role(role: _Reader, name: str, base: Path, check_files: bool) -> Role:
    kind = role.get("kind", str, '"emulator" or "dut"')
    if kind == "emulator":
        role.only(("kind", "board", "baud", "reset", "heapsize", "radio", "eui64", "firmware_version"))
        board = role.get("board", str, 'a serial port path, a pyserial URL or "sim"')
        if board != SIM:
            _check_port(role, "board", board, check_files)
        reset = role.get("reset", str, " or ".join(f'"{r}"' for r in RESETS), "machine")
        if reset not in RESETS:
            raise role.error("reset", f"is {reset!r}; expected " + " or ".join(f'"{r}"' for r in RESETS))
        heapsize = role.get("heapsize", str, 'a heap size such as "2M" or "256K" (simulated boards)', DEFAULT_HEAP)
        try:
            check_heap(heapsize)
        except ValueError as e:
            raise role.error("heapsize", str(e)) from None
        eui64 = _eui64(role, sim_eui64(ROLES.index(name) + 1))
        radio = _radio(role.sub("radio", 'a radio table: { kind = "sim" } or { kind = "ezsp", port = ..., baud = ... }'),
                       check_files)
        baud = _positive(role, "baud", DEFAULT_BAUD)
        return Emulator(role=name, board=board, radio=radio, eui64=eui64, baud=baud, reset=reset, heapsize=heapsize,
                        firmware_version=_identity(role, "firmware_version", "a firmware version such as \"1.1\""))
    if kind == "dut":
        role.only(("kind", "eui64", "install_code", "via", "certificates", "manufacturer", "model",
                   "firmware_version"))
        eui64 = _eui64(role, _NO_DEFAULT)
        text = role.get("install_code", str, "the device's install code in hex, CRC included")
        try:
            install_code = identifiers.parse_install_code(text)
        except ValueError as e:
            raise role.error("install_code", str(e)) from None
        via = role.get("via", str, "the name of the emulator role whose radio reaches the device")
        certs = role.sub("certificates", "a table of certificate name = file path", {})
        certificates = {}
        for cert_name in certs.table:
            cert_path = base / certs.get(cert_name, str, "a certificate file path (relative to the bench file)")
            if check_files and not cert_path.is_file():
                raise certs.error(cert_name, f"file {cert_path} does not exist; expected a certificate file")
            certificates[cert_name] = cert_path
        return Dut(role=name, eui64=eui64, install_code=install_code, via=via, certificates=certificates,
                   manufacturer=_identity(role, "manufacturer", "the device's manufacturer"),
                   model=_identity(role, "model", "the device's model"),
                   firmware_version=_identity(role, "firmware_version", "the device's firmware version"))
    raise role.error("kind", f"is {kind!r}; expected \"emulator\" or \"dut\"")


IDENTITY_LIMITS = {"manufacturer": 128, "model": 128, "firmware_version": 64}  # the results store's column sizes


def _identity(role: _Reader, key: str, expected: str) -> str | None:
    """An optional identity field of a role (manufacturer, model, firmware version): printable text, not empty."""
    value = role.get(key, str, f"a string: {expected}", None)
    if value is None:
        return None
    limit = IDENTITY_LIMITS[key]
    if not value.strip() or len(value) > limit or not value.isprintable():
        raise role.error(key, f"is {value[:40]!r}; expected {expected} (printable, 1..{limit} characters)")
    return value


def _eui64(role: _Reader, default: Any) -> str:
    text = role.get("eui64", str, "the EUI-64 as 16 hex digits", default)
    try:
        return identifiers.parse_eui64(text)
    except ValueError as e:
        raise role.error("eui64", str(e)) from None


def _positive(table: _Reader, key: str, default: int) -> int:
    value = table.get(key, int, "a positive integer", default)
    if value <= 0:
        raise table.error(key, f"is {value}; expected a positive integer")
    return value


def _radio(radio: _Reader, check_files: bool) -> Radio:
    radio.only(("kind", "port", "baud", "flow_control"))
    kind = radio.get("kind", str, " or ".join(f'"{k}"' for k in RADIO_KINDS))
    if kind == SIM:
        return Radio(kind=SIM)
    if kind == EZSP:
        port = radio.get("port", str, "the EZSP NCP's serial port path or pyserial URL")
        _check_port(radio, "port", port, check_files)
        flow = radio.get("flow_control", str, " or ".join(f'"{f}"' for f in FLOW_CONTROLS), None)
        if flow is not None and flow not in FLOW_CONTROLS:
            raise radio.error("flow_control", f"is {flow!r}; expected " + " or ".join(f'"{f}"' for f in FLOW_CONTROLS))
        return Radio(kind=EZSP, port=port, baud=_positive(radio, "baud", DEFAULT_EZSP_BAUD), flow_control=flow)
    raise radio.error("kind", f"is {kind!r}; expected " + " or ".join(f'"{k}"' for k in RADIO_KINDS))


def _check_port(table: _Reader, key: str, port: str, check: bool) -> None:
    if not port:
        raise table.error(key, "is empty; expected a serial port path or a pyserial URL")
    if not check or _URL.match(port):
        return
    if not os.path.exists(port):
        raise table.error(key, f"port {port} does not exist; expected a connected device "
                               "(is it plugged in? see ls /dev/serial/by-id/) or a pyserial URL such as socket://host:port")
