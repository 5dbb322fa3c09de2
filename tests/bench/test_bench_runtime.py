"""BenchRuntime: boards up with firmware and links, following the virtual clock, and nothing left running after."""
from __future__ import annotations

import os

import pytest

from firmware.version import FIRMWARE_VERSION
from harness.errors import BenchFault
from rig.bench.builtin import sim_bench
from rig.bench.model import Bench
from rig.bench.runtime import BenchRuntime
from rig.boardlink.clock_follow import to_ms
from rig.clock import VirtualClock


def two_role_bench() -> Bench:
    full = sim_bench()
    return Bench(name="pair", roles={r: full.roles[r] for r in ("chf", "esme")})


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_runtime_brings_up_links_and_boards_follow_the_clock(tmp_path):
    clock = VirtualClock()
    with BenchRuntime(two_role_bench(), tmp_path, clock=clock) as rt:
        assert rt.roles == ("chf", "esme") and rt.clock is clock
        pids = [rt.board(role).pid for role in rt.roles]
        for role in rt.roles:
            assert rt.link(role).hello.fw == FIRMWARE_VERSION
            assert rt.link(role).hello.role == role
        clock.advance(3600)
        for role in rt.roles:
            assert rt.link(role).call("time.get")["utc_ms"] == to_ms(clock.now())
        # the bench's power control: the board reboots (a new interpreter), its link and its clock come back
        boots = rt.link("esme").hello.boots
        rt.power_cycle("esme")
        assert rt.board("esme").pid != pids[1] and rt.link("esme").hello.boots == boots + 1
        assert rt.link("esme").call("time.get")["utc_ms"] == to_ms(clock.now())
        pids.append(rt.board("esme").pid)
        # a timed cut: the run's clock moves on while the board is off; the board hears the time only after it
        before = clock.now()
        rt.power_cycle("esme", off_for=240)
        assert clock.now() == before + 240 and rt.link("esme").hello.boots == boots + 2
        assert rt.link("esme").call("time.get")["utc_ms"] == to_ms(clock.now())
        pids.append(rt.board("esme").pid)
        # a software reboot: the same interpreter restarts its firmware, the link stays up
        rt.reboot("esme")
        assert rt.link("esme").wait_event("boot", match=lambda e: e.data["reason"] == "reboot").data["boots"] \
            == boots + 3
        assert rt.link("esme").call("time.get")["utc_ms"] == to_ms(clock.now())
        with pytest.raises(BenchFault, match="gpf"):
            rt.link("gpf")
    assert all(process_gone(pid) for pid in pids)


def test_everything_stops_when_the_test_body_raises(tmp_path):
    pids = []
    with pytest.raises(RuntimeError):
        with BenchRuntime(two_role_bench(), tmp_path) as rt:
            pids = [rt.board(role).pid for role in rt.roles]
            raise RuntimeError("test failed")
    assert pids and all(process_gone(pid) for pid in pids)


def test_failed_start_stops_the_boards_already_started(tmp_path, monkeypatch):
    from rig.bench import runtime

    started = []
    boards = []
    real = runtime.connect_checked
    real_make_board = runtime.make_board

    def recording_make_board(role, workdir):
        boards.append(real_make_board(role, workdir))
        return boards[-1]

    def refuse_esme(port, role, **kwargs):
        if role == "esme":
            raise BenchFault("esme refused")
        link = real(port, role, **kwargs)
        started.append(link)
        return link

    monkeypatch.setattr(runtime, "connect_checked", refuse_esme)
    monkeypatch.setattr(runtime, "make_board", recording_make_board)
    rt = BenchRuntime(two_role_bench(), tmp_path)
    with pytest.raises(BenchFault, match="esme refused"):
        rt.start()
    assert len(boards) == 2 and not any(board.alive() for board in boards)
    assert started and all(link.hello is not None for link in started)
    with pytest.raises(BenchFault):
        rt.link("chf")
