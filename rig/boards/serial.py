"""A real MicroPython board on a pyserial URL (/dev/serial/by-id/..., /dev/ttyACM0, socket://host:port, rfc2217://...)."""
from __future__ import annotations

import os
import re
import time

import serial
from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from harness.errors import BoardLost

_URL = re.compile(r"^[a-z][a-z0-9+]*://")
RESETS = ("machine", "dtr")


class SerialBoard:
    """A board on USB serial. `reset` is how it is power-cycled: "machine" runs machine.reset() through the raw
    REPL (native-USB boards such as the Pico re-enumerate), "dtr" pulses DTR/RTS (boards with a USB-UART bridge
    wired to EN, such as ESP32 DevKits)."""

    def __init__(self, name: str, url: str, *, baud: int = 115200, reset: str = "machine",
                 reappear_timeout: float = 10.0):
        if reset not in RESETS:
            raise ValueError(f"reset is {reset!r}; expected one of {', '.join(RESETS)}")
        self.name = name
        self.url = url
        self.baud = baud
        self.reset = reset
        self.reappear_timeout = reappear_timeout

    @property
    def port(self) -> str:
        return self.url

    def alive(self) -> bool:
        if not _URL.match(self.url) and not os.path.exists(self.url):
            return False
        try:
            serial.serial_for_url(self.url, baudrate=self.baud, timeout=0.1, do_not_open=False).close()
        except (serial.SerialException, OSError, ValueError):
            return False
        return True

    def start(self) -> None:
        """Check that the board's port is present and can be opened."""
        if not self.alive():
            raise BoardLost(f"board {self.name}: port {self.url} is absent or cannot be opened "
                            "(is the board plugged in, and is no other program using the port?)")

    def stop(self) -> None:
        """Nothing to release: the rig keeps no handle on a real board between uses."""

    def power_cycle(self) -> None:
        """Reset the board and wait for its port to come back."""
        if self.reset == "dtr":
            self._pulse_dtr()
        else:
            self._machine_reset()
        deadline = time.monotonic() + self.reappear_timeout
        while not self.alive():
            if time.monotonic() > deadline:
                raise BoardLost(f"board {self.name}: port {self.url} did not come back within "
                                f"{self.reappear_timeout:.0f} s after a reset")
            time.sleep(0.1)

    def _pulse_dtr(self) -> None:
        try:
            port = serial.serial_for_url(self.url, baudrate=self.baud, timeout=0.1)
        except (serial.SerialException, OSError, ValueError) as e:
            raise BoardLost(f"board {self.name}: cannot open {self.url}: {e}") from None
        try:
            # ESP32 auto-reset wiring: RTS drives EN (active low), DTR drives IO0; keep IO0 high to boot normally
            port.dtr = False
            port.rts = True
            time.sleep(0.1)
            port.rts = False
        finally:
            port.close()

    def _machine_reset(self) -> None:
        try:
            transport = SerialTransport(self.url, baudrate=self.baud)
        except TransportError as e:
            raise BoardLost(f"board {self.name}: cannot open {self.url}: {e}") from None
        try:
            transport.enter_raw_repl(soft_reset=False)
            transport.exec_raw_no_follow("import machine\nmachine.reset()")
        except (TransportError, OSError) as e:
            raise BoardLost(f"board {self.name}: machine.reset() failed: {e}") from None
        finally:
            try:
                transport.close()
            except OSError:
                pass  # the port may already have vanished with the reset
        time.sleep(0.5)  # let a native-USB board drop off the bus before polling for it
