"""`rig ncp serve`: an emulated NCP on a pty that bellows opens like a dongle (the rig's radio, and bellows' own
command line)."""
from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from rig.radios.ezsp import EzspRadio

BIN = Path(sys.executable).parent
PATIENCE = 120  # seconds: a ceiling for a busy machine; each wait ends at its event


def first_line(stream: IO[str]) -> str:
    """The stream's first line, or "" when none comes within PATIENCE (a server that never starts fails, not hangs)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=PATIENCE)
    except queue.Empty:
        return ""


def as_foreground_job() -> None:
    """In the child: Ctrl-C (SIGINT) as in a terminal's foreground job. A test session started in the background
    (`make test &`) ignores SIGINT, and a child inherits that: the server would never see the Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ncp_serve_for_bellows():
    server = subprocess.Popen([str(BIN / "rig"), "ncp", "serve", "--ezsp", "8", "--eui", "00:0D:6F:00:00:12:34:56",
                               "--channel", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=as_foreground_job)
    try:
        port = first_line(server.stdout).strip()
        assert port.startswith("/dev/"), f"no pty path printed: {port!r}"
        radio = EzspRadio(port)
        try:
            assert (radio.ezsp_version, radio.eui64) == (8, 0x000D6F0000123456)
        finally:
            radio.close()
        cli = subprocess.run([str(BIN / "bellows"), "-d", port, "config", "--all"], capture_output=True, text=True,
                             timeout=PATIENCE)
        assert cli.returncode == 0 and "CONFIG_KEY_TABLE_SIZE=" in cli.stdout, cli.stderr[-2000:]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(PATIENCE)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert server.returncode == 0, server.stderr.read()
