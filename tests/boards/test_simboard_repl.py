"""A simulated board answers like a board's REPL: pyserial and mpremote drive it as they drive a real board."""
from __future__ import annotations

import os
import time

import pytest
import serial


# a ceiling for waits that end at their event (a prompt, a restarted interpreter) on a busy machine
PATIENCE = 60.0


def read_until(port: serial.Serial, marker: bytes, timeout: float = PATIENCE) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        if time.monotonic() > deadline:
            raise AssertionError(f"{marker!r} not seen; got {data!r}")
        data += port.read(max(1, port.in_waiting))
    return data


def test_exec_and_eval(mpremote):
    result = mpremote("exec", "print(6 * 7)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"


def test_exec_error_gives_traceback_and_failure(mpremote):
    result = mpremote("exec", "1/0")
    assert result.returncode == 1
    assert "ZeroDivisionError" in result.stdout + result.stderr


def test_fs_cp_ls_cat_round_trip(mpremote, sim_board, tmp_path):
    payload = bytes(range(256)) * 40  # 10 KB, every byte value
    src = tmp_path / "blob.bin"
    src.write_bytes(payload)
    assert mpremote("fs", "mkdir", ":data").returncode == 0
    copied = mpremote("fs", "cp", str(src), ":data/blob.bin")
    assert copied.returncode == 0, copied.stderr
    assert (sim_board.flash / "data" / "blob.bin").read_bytes() == payload
    listing = mpremote("fs", "ls", ":data")
    assert listing.returncode == 0
    assert f"{len(payload)} blob.bin" in listing.stdout  # ilistdir reports sizes like a board
    back = tmp_path / "back.bin"
    assert mpremote("fs", "cp", ":data/blob.bin", str(back)).returncode == 0
    assert back.read_bytes() == payload


def test_missing_file_reports_linux_errno(mpremote):
    result = mpremote("fs", "cat", ":nope.txt")
    assert result.returncode != 0
    assert "No such file or directory" in result.stdout + result.stderr
    assert mpremote("exec", "import errno\ntry:\n open('nope')\nexcept OSError as e:\n print(e.errno == errno.ENOENT)").stdout.strip() == "True"


def test_soft_reset_starts_a_fresh_interpreter(mpremote, sim_board):
    pid = sim_board.pid
    result = mpremote("exec", "x = 5", "resume", "eval", "x")
    assert result.stdout.strip() == "5"
    # soft reset: RAM state gone, pty (port) unchanged
    port = sim_board.port
    result = mpremote("soft-reset", "resume", "exec", "print('x' in globals())")
    assert result.stdout.strip() == "False"
    assert sim_board.port == port
    assert sim_board.pid != pid


def test_ctrl_c_interrupts_running_main_and_boot_runs_on_friendly_soft_reset(sim_board):
    (sim_board.flash / "boot.py").write_text("print('BOOT RAN')\n")
    (sim_board.flash / "main.py").write_text("import time\nprint('MAIN LOOP')\nwhile True:\n    time.sleep_ms(10)\n")
    with serial.Serial(sim_board.port, timeout=0.1) as port:
        port.write(b"\r\x03\x02")  # interrupt whatever runs, back to the friendly REPL
        read_until(port, b">>> ")
        port.write(b"\x04")  # friendly soft reset: boot.py, then main.py
        seen = read_until(port, b"MAIN LOOP")
        assert b"MPY: soft reboot" in seen and seen.index(b"BOOT RAN") < seen.index(b"MAIN LOOP")
        time.sleep(0.05)
        port.write(b"\x03")
        seen = read_until(port, b">>> ")
        assert b"KeyboardInterrupt" in seen and b'File "main.py"' in seen
        port.write(b"print(1 + 1)\r")
        assert b"\r\n2\r\n" in read_until(port, b"2\r\n>>> ")


def test_mpremote_reaches_raw_repl_while_main_runs(mpremote, sim_board):
    (sim_board.flash / "main.py").write_text("while True:\n    pass\n")
    sim_board.power_cycle()
    result = mpremote("resume", "exec", "print('in raw repl')")
    assert result.stdout.strip() == "in raw repl"


def test_friendly_repl_multiline_block(sim_board):
    with serial.Serial(sim_board.port, timeout=0.1) as port:
        port.write(b"\r\x03\x02")
        read_until(port, b">>> ")
        port.write(b"for i in range(3):\r")
        read_until(port, b"... ")
        port.write(b"    print('n', i)\r\r")
        seen = read_until(port, b"n 2\r\n>>> ")
        assert b"n 0\r\nn 1\r\nn 2" in seen


def test_power_cycle_keeps_flash_and_loses_ram(mpremote, sim_board):
    assert mpremote("exec", "f = open('kept.txt', 'w'); f.write('flash'); f.close(); y = 1").returncode == 0
    boots = sim_board.boots
    sim_board.power_cycle()
    assert sim_board.boots == boots + 1
    result = mpremote("resume", "exec", "print(open('kept.txt').read(), 'y' in globals())")
    assert result.stdout.strip() == "flash False"


def test_kill_makes_the_port_vanish(sim_board):
    port = sim_board.port
    pid = sim_board.pid
    sim_board.kill()
    assert not sim_board.alive()
    assert not os.path.exists(port) or not _is_open_pty_of(port)
    with pytest.raises(OSError):
        os.kill(pid, 0)
    with pytest.raises(Exception):
        sim_board.port


def _is_open_pty_of(path: str) -> bool:
    try:
        serial.Serial(path, timeout=0.1).close()
    except (serial.SerialException, OSError):
        return False
    return True


def test_heap_is_capped(tmp_path):
    from rig.boards.sim import SimBoard

    with SimBoard("small", tmp_path / "small", heapsize="256K") as board:
        from mpremote.transport_serial import SerialTransport

        transport = SerialTransport(board.port)
        try:
            transport.enter_raw_repl(soft_reset=False)
            total = int(transport.eval("__import__('gc').mem_free() + __import__('gc').mem_alloc()"))
            assert 200 * 1024 < total <= 256 * 1024
            out = transport.exec("try:\n b = bytearray(1024 * 1024)\nexcept MemoryError:\n print('MemoryError')")
            assert out.strip() == b"MemoryError"
        finally:
            transport.close()


def test_interpreter_crash_restarts_like_a_watchdog_reset(mpremote, sim_board):
    pid = sim_board.pid
    os.kill(pid, 9)
    deadline = time.monotonic() + PATIENCE
    while sim_board.pid in (pid, None):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert mpremote("exec", "print('back')").stdout.strip() == "back"
    assert "restarting as after a watchdog reset" in sim_board.log_path.read_text()


def test_plain_raw_repl_without_paste(sim_board):
    with serial.Serial(sim_board.port, timeout=0.1) as port:
        port.write(b"\r\x03\x01")
        read_until(port, b"raw REPL; CTRL-B to exit\r\n>")
        port.write(b"print(5 * 5)\x04")
        assert read_until(port, b"\x04>").endswith(b"OK25\r\n\x04\x04>")
        port.write(b"1/0\x04")
        out = read_until(port, b"\x04>")
        stdout, stderr = out[2:].split(b"\x04")[:2]
        assert stdout == b"" and b"ZeroDivisionError" in stderr


def test_garbage_on_the_console_does_not_break_the_repl(mpremote, sim_board):
    import random

    noise = bytes(random.Random(7).randrange(256) for _ in range(3000))
    with serial.Serial(sim_board.port, timeout=0.1) as port:
        port.write(noise)
        time.sleep(0.3)
        port.read(100000)
    result = mpremote("exec", "print('still here')")
    assert result.stdout.strip() == "still here", result.stdout + result.stderr


def test_missing_interpreter_is_a_clear_error_and_leaves_nothing_open(tmp_path, monkeypatch):
    from harness.errors import BoardLost
    from rig.boards import sim

    def absent() -> str:
        raise BoardLost("MicroPython unix port not found")

    monkeypatch.setattr(sim, "micropython_executable", absent)
    fds_before = set(os.listdir("/proc/self/fd"))
    board = sim.SimBoard("x", tmp_path / "x")
    with pytest.raises(BoardLost, match="not found"):
        board.start()
    assert not board.alive()
    assert set(os.listdir("/proc/self/fd")) <= fds_before
