"""`rig ncp serve`: an emulated NCP on a pty that bellows opens like a dongle (the rig's radio, and bellows' own
command line)."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from rig.radios.ezsp import EzspRadio

BIN = Path(sys.executable).parent


def test_ncp_serve_for_bellows():
    server = subprocess.Popen([str(BIN / "rig"), "ncp", "serve", "--ezsp", "8", "--eui", "00:0D:6F:00:00:12:34:56",
                               "--channel", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = server.stdout.readline().strip()
        assert port.startswith("/dev/"), server.stderr.read()
        radio = EzspRadio(port, command_timeout=5)
        try:
            assert (radio.ezsp_version, radio.eui64) == (8, 0x000D6F0000123456)
        finally:
            radio.close()
        cli = subprocess.run([str(BIN / "bellows"), "-d", port, "config", "--all"], capture_output=True, text=True,
                             timeout=60)
        assert cli.returncode == 0 and "CONFIG_KEY_TABLE_SIZE=" in cli.stdout, cli.stderr[-2000:]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert server.returncode == 0, server.stderr.read()
