"""The host BoardLink against the real firmware in a MicroPython process behind a pty."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

import pytest
import serial

from firmware import linkproto
from harness.errors import BoardLost, InputError
from rig.boardlink import BoardError, BoardLink, HelloMismatch, LinkTimeout, follow_clock
from rig.boardlink.link import DEFAULT_TIMEOUT
from ptyboard import PtyBoard
from rig.boards.sim import micropython_executable
from rig.clock import VirtualClock

try:
    micropython_executable()
except BoardLost as e:  # pragma: no cover - depends on the environment
    pytest.skip(str(e), allow_module_level=True)

CONFIG = {"role": "esme", "board_id": "esme-01", "eui64": "0011223344556677"}
# a ceiling for waits that end at their event (a board booting, an answer, a log line) on a busy machine
PATIENCE = 60.0


@pytest.fixture
def board(tmp_path: Path):
    with PtyBoard(tmp_path, CONFIG) as b:
        b.start()
        yield b


@pytest.fixture
def link(board: PtyBoard, tmp_path: Path):
    with BoardLink(board.port, log_path=tmp_path / "link.log") as lk:
        lk.connect(expect_role="esme", timeout=PATIENCE)
        yield lk


def test_hello_and_round_trips(link: BoardLink) -> None:
    hello = link.hello
    assert (hello.proto, hello.role, hello.board_id, hello.eui64, hello.state) == (
        linkproto.PROTOCOL_VERSION, "esme", "esme-01", "0011223344556677", "ready")
    for i in range(50):
        assert link.call("ping", data=f"n{i}") == {"data": f"n{i}"}
    big = "x" * 12000
    assert link.call("ping", data=big) == {"data": big}
    stats = link.stats()
    assert stats["bad"] == 0 and stats["stray"] == 0
    # a hello retried while the board boots (slow under load) is answered late, once: never stray, never lost
    assert stats["late"] == stats["timeouts"]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.01)


def test_hellos_retried_while_the_board_boots_are_answered_late_not_stray(tmp_path: Path) -> None:
    with PtyBoard(tmp_path, CONFIG) as board, BoardLink(board.port, log_path=tmp_path / "link.log") as lk:
        board.start()
        board.pause()  # still booting: the first hello times out and is retried
        outcome: dict = {}
        connecting = threading.Thread(
            target=lambda: outcome.update(hello=lk.connect(expect_role="esme", timeout=PATIENCE)))
        connecting.start()
        wait_until(lambda: lk.stats()["timeouts"] >= 1, "a hello timed out")
        board.resume()
        connecting.join(PATIENCE + 5)
        assert outcome["hello"].role == "esme"
        # the late answer to the first hello may still be on its way when the retried one is answered
        wait_until(lambda: lk.stats()["late"] >= lk.stats()["timeouts"], "the timed-out hello answered late")
        stats = lk.stats()
        assert stats["stray"] == 0 and stats["late"] == stats["timeouts"] >= 1 and stats["resets"] == 0
        assert lk.call("ping", data="after") == {"data": "after"}
    assert "LATE seq=1 answer to 'hello'" in (tmp_path / "link.log").read_text()


def test_late_answer_is_not_taken_for_the_next_request(board: PtyBoard, link: BoardLink) -> None:
    before = link.stats()
    board.pause()
    with pytest.raises(LinkTimeout, match="'ping' within 0.3 s"):
        link.call("ping", data="first", timeout=0.3)
    board.resume()
    assert link.call("ping", data="second") == {"data": "second"}  # the board answers "first" before "second"
    after = link.stats()
    assert (after["timeouts"] - before["timeouts"], after["late"] - before["late"], after["stray"]) == (1, 1, 0)


def test_board_errors_are_typed(link: BoardLink) -> None:
    with pytest.raises(BoardError) as err:
        link.call("relay.set", on="yes")
    assert err.value.code == "bad_params" and "'on'" in str(err.value)
    with pytest.raises(BoardError, match="unknown_method"):
        link.call("no.such")
    with pytest.raises(InputError, match="params"):
        link.call("ping", data="x" * linkproto.MAX_PAYLOAD)
    assert link.call("ping") == {"data": ""}


def test_events_reach_queue_callbacks_and_log_file(link: BoardLink, tmp_path: Path) -> None:
    seen = []
    link.on_event(seen.append)
    link.events()
    link.call("relay.set", on=False)
    assert link.wait_event("relay").data == {"on": False}
    assert link.wait_event("display").data == {"text": "ESME SUPPLY OFF LOCKED CREDIT 0.00"}
    link.call("keypad.press", keys="42")
    assert link.wait_event("display", match=lambda e: e.data["text"] == "> 42")
    assert [e.name for e in seen] == ["relay", "display", "key", "display", "key", "display"]
    assert link.stats()["events_lost"] == 0
    log = (tmp_path / "link.log").read_text()
    assert 'EVT relay {"on": false}' in log


def test_garbage_truncated_and_oversized_frames_towards_the_host(board: PtyBoard, link: BoardLink) -> None:
    board.inject_to_host(b"Traceback (most recent call last):\r\n\x00\xffjunk\r\n")
    assert link.call("ping", data="a") == {"data": "a"}
    board.inject_to_host(b"@AAAAQ")  # truncated: no end of line, the board's next frame follows on the same line
    assert link.call("ping", data="b") == {"data": "b"}
    board.inject_to_host(b"@" + b"A" * (linkproto.MAX_LINE + 100) + b"\r\n")
    assert link.call("ping", data="c") == {"data": "c"}
    stats = link.stats()
    assert stats["oversized"] == 1
    deadline = time.monotonic() + PATIENCE
    while "Traceback (most recent call last):" not in link.log_lines() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "Traceback (most recent call last):" in link.log_lines()
    assert "@AAAAQ" in link.log_lines()


def test_garbage_truncated_and_oversized_frames_towards_the_board(board: PtyBoard, link: BoardLink) -> None:
    with serial.serial_for_url(board.port, timeout=0.1) as raw:
        raw.write(b"hello board\n\xfe\xfd@AAAA")  # a log line, then a truncated frame
        raw.write(linkproto.encode(linkproto.REQUEST, 999, {"m": "log", "p": {"text": "resync"}}))
        raw.write(b"@" + b"B" * (linkproto.MAX_LINE + 50) + b"\n")
        corrupt = bytearray(linkproto.encode(linkproto.REQUEST, 998, {"m": "ping", "p": {}}))
        corrupt[5] = ord("Z") if corrupt[5] != ord("Z") else ord("Y")
        raw.write(bytes(corrupt))
    assert link.wait_event("log").data == {"text": "resync"}
    stats = link.call("link.stats")
    assert stats["oversized"] == 1 and stats["bad"] == 1 and stats["log_lines"] == 1
    assert link.stats()["stray"] == 1  # the board answered seq 999, which this link never sent


def test_board_reset_during_request_then_reconnect(board: PtyBoard, link: BoardLink) -> None:
    board.kill()
    outcome: dict = {}

    def slow_call() -> None:
        try:
            link.call("state.get", timeout=PATIENCE)
        except Exception as e:  # noqa: BLE001 - the test inspects it
            outcome["error"] = e

    t = threading.Thread(target=slow_call)
    sent = link.stats()["tx"] + 1
    t.start()
    wait_until(lambda: link.stats()["tx"] >= sent, "state.get sent to the dead board")
    board.start()
    t.join(PATIENCE + 5)
    # failed by the reset (the boot event), not by its own timeout
    assert isinstance(outcome["error"], BoardLost) and not isinstance(outcome["error"], LinkTimeout)
    assert "reset" in str(outcome["error"])
    with pytest.raises(BoardLost, match="reconnect"):
        link.call("ping")
    hello = link.reconnect(timeout=PATIENCE)
    assert hello.boots == 2 and link.call("ping", data="z") == {"data": "z"}
    assert link.stats()["resets"] == 1


def test_dead_board_times_out_as_board_lost(board: PtyBoard, link: BoardLink) -> None:
    board.kill()
    start = time.monotonic()
    with pytest.raises(LinkTimeout, match="did not answer 'ping' within 0.3 s"):
        link.call("ping", timeout=0.3)
    assert time.monotonic() - start < DEFAULT_TIMEOUT  # its own timeout, not the default one


def test_power_cycle_keeps_flash_and_link(link: BoardLink) -> None:
    link.call("relay.set", on=False)
    link.call("keypad.press", keys="7")
    assert link.call("power_cycle") == {"boots": 2}
    boot = link.wait_event("boot", match=lambda e: e.data["reason"] == "power_cycle")
    assert boot.data["boots"] == 2
    state = link.call("state.get")
    assert state["relay"] == {"on": False} and state["role"]["entry"] == "" and state["boots"] == 2


def test_hello_protocol_version_mismatch(tmp_path: Path) -> None:
    with PtyBoard(tmp_path, CONFIG, proto=linkproto.PROTOCOL_VERSION + 1) as b:
        b.start()
        with BoardLink(b.port) as lk, pytest.raises(HelloMismatch) as err:
            lk.connect(timeout=PATIENCE)
    assert err.value.field == "protocol version"
    assert (err.value.expected, err.value.got) == (linkproto.PROTOCOL_VERSION, linkproto.PROTOCOL_VERSION + 1)
    assert f"expected {linkproto.PROTOCOL_VERSION}, got {linkproto.PROTOCOL_VERSION + 1}" in str(err.value)


def test_hello_role_mismatch(board: PtyBoard) -> None:
    with BoardLink(board.port) as lk, pytest.raises(HelloMismatch, match="role: expected 'gsme', got 'esme'"):
        lk.connect(expect_role="gsme", timeout=PATIENCE)


def test_board_follows_the_virtual_clock(link: BoardLink) -> None:
    clock = VirtualClock()
    follow_clock(link, clock)
    assert link.call("time.get")["utc_ms"] == int(clock.now() * 1000)
    clock.advance(86400.5)
    got = link.call("time.get")
    assert got["utc_ms"] == int(clock.now() * 1000) and got["set"] is True


def test_missing_port_is_board_lost(tmp_path: Path) -> None:
    with pytest.raises(BoardLost, match="cannot open board port"):
        BoardLink(str(tmp_path / "ttyNOPE")).connect(timeout=0.5)


def test_a_reset_names_the_boards_role_not_its_pty(board: PtyBoard, tmp_path: Path) -> None:
    with BoardLink(board.port, name="esme") as link:
        link.connect(expect_role="esme", timeout=PATIENCE)
        board.kill()
        board.start()
        with pytest.raises(BoardLost) as lost:
            link.call("ping", timeout=PATIENCE)
    assert str(lost.value).startswith("esme board reset (boot event") and "/dev/" not in str(lost.value)
