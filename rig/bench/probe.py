"""Probing a bench: is every board answering with this checkout's firmware, is every radio there?

Simulated boards are started, deployed and asked for their hello, then stopped. Real boards are only asked
(deploying is `rig firmware deploy`'s job). Each board's probe has a hard deadline (`probe_deadline`): a board
that has not answered by then is "not ready", and every board is stopped and the scratch folder removed whatever
happens (an exception, a signal). Simulated radios are always ready; an EZSP radio is probed with
`rig.radios.ezsp.probe(port, baud)` (which answers (ok, detail)) when that module exists, else reported as
not probed.
"""
from __future__ import annotations

import importlib
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from firmware.version import FIRMWARE_VERSION
from harness.errors import RigError
from rig.bench.model import Bench, Dut, Emulator, Radio
from rig.bench.runtime import make_board, role_config
from rig.boardlink.errors import HelloMismatch
from rig.boardlink.link import BoardLink
from rig.boards.deploy import connect_checked, deploy
from rig.boards.protocol import Board

READY = "ready"
NOT_PROBED = "not probed"
DEPLOY_ALLOWANCE = 20.0  # seconds a simulated board may take to start and take the firmware, before its hello


@dataclass(frozen=True)
class RoleStatus:
    """One row of `rig bench check`."""

    role: str
    kind: str
    port: str
    firmware: str
    radio: str
    state: str

    @property
    def ready(self) -> bool:
        return self.state == READY


def probe_radio(radio: Radio) -> str:
    """READY, NOT_PROBED, or what is wrong with the radio."""
    if radio.simulated:
        return READY
    try:
        ezsp = importlib.import_module("rig.radios.ezsp")
    except ModuleNotFoundError as e:
        if e.name in ("rig.radios.ezsp", "rig.radios"):
            return NOT_PROBED
        raise
    ok, detail = ezsp.probe(radio.port, radio.baud, flow_control=radio.flow_control)  # (ok, detail); never raises
    return READY if ok else f"radio not ready: {detail}"


def probe_deadline(role: Emulator, timeout: float) -> float:
    """Seconds a probe of `role` may take in all: the hello's `timeout`, plus the deploy on a simulated board."""
    return timeout + (DEPLOY_ALLOWANCE if role.simulated else 2.0)


def _probe_board(bench: Bench, role: Emulator, board: Board, timeout: float) -> tuple[str, str, str]:
    """(port, firmware version or "-", state) of one emulated role's board (the caller stops the board)."""
    try:
        board.start()
        port = board.port
    except RigError as e:
        return role.board, "-", f"absent: {e}"
    version, state = _ask_board(bench, role, board, timeout)
    return port, version, state


def _late(role: Emulator, board: Board, seconds: float) -> tuple[str, str, str]:
    """The row of a probe that missed its deadline."""
    boots = getattr(board, "boots", 0)
    crash = f"; the board booted {boots} times (crash-looping: is heapsize {role.heapsize} too small?)" \
        if boots > 2 else ""
    return role.board, "-", f"not answering: no answer within {seconds:.0f} s{crash}"


class _Probes:
    """One thread per board probe, each with its deadline; `close` stops the simulated boards and waits for
    the threads, so nothing runs on (or writes into the scratch folder) once the probe is over."""

    def __init__(self, bench: Bench, boards: dict[str, Board], timeout: float):
        self.bench, self.boards, self.timeout = bench, boards, timeout
        self.emulators = bench.emulators()
        self.closing = threading.Event()
        self.results: dict[str, tuple[str, str, str]] = {}
        self.threads = {name: threading.Thread(target=self._work, args=(name,), name=f"probe {name}", daemon=True)
                        for name in boards}

    def _work(self, name: str) -> None:
        if self.closing.is_set():
            return
        try:
            self.results[name] = _probe_board(self.bench, self.emulators[name], self.boards[name], self.timeout)
        except Exception:
            if not self.closing.is_set():
                raise
            # its board was stopped under it (the deadline passed, or a signal came): its row says so already

    def run(self) -> dict[str, tuple[str, str, str]]:
        started = time.monotonic()
        for thread in self.threads.values():
            thread.start()
        for name, thread in self.threads.items():
            deadline = probe_deadline(self.emulators[name], self.timeout)
            thread.join(max(0.0, started + deadline - time.monotonic()))
            if thread.is_alive():
                self.results[name] = _late(self.emulators[name], self.boards[name], deadline)
            elif name not in self.results:  # the thread died of a bug; its traceback is on stderr
                self.results[name] = (self.emulators[name].board, "-", "probe failed (see the traceback above)")
        return dict(self.results)

    def close(self) -> None:
        self.closing.set()
        simulated = [board for name, board in self.boards.items() if self.emulators[name].simulated]
        for board in simulated:
            board.stop()
        for thread in self.threads.values():
            if thread.is_alive():
                thread.join(timeout=5)  # a probe ends once its board is gone
        for board in simulated:
            board.stop()  # started by a probe thread while the first stop ran


def _ask_board(bench: Bench, role: Emulator, board: Board, timeout: float) -> tuple[str, str]:
    try:
        if role.simulated:
            deploy(board.port, role_config(bench, role), baud=role.baud, name=role.role)
            link = connect_checked(board.port, role.role, baud=role.baud, timeout=timeout)
            version = link.hello.fw
            link.close()
            return version, READY
        link = BoardLink(board.port, baudrate=role.baud, name=role.role)
        try:
            hello = link.connect(expect_role=role.role, timeout=timeout)
        finally:
            link.close()
        if FIRMWARE_VERSION not in (hello.fw, hello.base_fw):
            return hello.fw, f"firmware {hello.fw}, expected {FIRMWARE_VERSION} (run: rig firmware deploy)"
        return hello.fw, READY
    except HelloMismatch as e:
        return "-", f"wrong board: {e}"
    except RigError as e:
        return "-", f"not answering: {e}"


def probe_bench(bench: Bench, workdir: Path | None = None, *, timeout: float = 5.0,
                board_factory: Callable[[Emulator, Path], Board] | None = None) -> list[RoleStatus]:
    """Probe every role (boards in parallel) and every sniffer radio; rows come in bench order.
    `board_factory` makes each role's board (default: `make_board`)."""
    board_factory = board_factory or make_board
    emulators = bench.emulators()
    with tempfile.TemporaryDirectory(prefix="rig-bench-check-") as scratch:
        base = Path(workdir) if workdir is not None else Path(scratch)
        probes = _Probes(bench, {name: board_factory(role, base) for name, role in emulators.items()}, timeout)
        try:
            results = probes.run()
        finally:
            probes.close()
    emulator_rows: dict[str, RoleStatus] = {}
    for name, role in emulators.items():
        port, firmware, state = results[name]
        radio = probe_radio(role.radio)
        if state == READY and radio not in (READY, NOT_PROBED):
            state = radio
        emulator_rows[name] = RoleStatus(name, "emulator", port, firmware, _radio_label(role.radio, radio), state)
    rows = [emulator_rows[name] if name in emulator_rows else _dut_row(role, emulator_rows[role.via], bench)
            for name, role in bench.roles.items()]
    for name, radio in bench.sniffers.items():
        state = probe_radio(radio)
        rows.append(RoleStatus(name, "sniffer", radio.port or "sim", "-", _radio_label(radio, state),
                               READY if state in (READY, NOT_PROBED) else state))
    return rows


def _radio_label(radio: Radio, state: str) -> str:
    where = "sim" if radio.simulated else f"ezsp {radio.port}@{radio.baud}"
    return where if state == READY else f"{where} ({state})"


def _dut_row(role: Dut, via: RoleStatus, bench: Bench) -> RoleStatus:
    """A device under test is ready when the emulator whose radio reaches it is."""
    emulator = bench.emulators()[role.via]
    state = READY if via.ready else f"unreachable: {role.via} is not ready"
    return RoleStatus(role.role, "dut", f"via {role.via}", f"eui64 {role.eui64}",
                      _radio_label(emulator.radio, READY), state)
