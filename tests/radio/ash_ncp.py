"""An emulated NCP on a pty: ASH (UG101) framing written here independently of bellows, carrying the EZSP
answers of `ezsp_fake_ncp.FakeNcp`. bellows connects to the pty's slave path with pyserial like to a real dongle."""
from __future__ import annotations

import os
import threading
import tty

from ezsp_fake_ncp import FakeNcp

FLAG, ESCAPE, CANCEL, SUBSTITUTE = 0x7E, 0x7D, 0x1A, 0x18
RESERVED = {0x7E, 0x7D, 0x11, 0x13, 0x18, 0x1A}
RST, RSTACK = 0xC0, 0xC1
ASH_VERSION, RESET_SOFTWARE = 0x02, 0x0B


def crc_ccitt(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def randomise(data: bytes) -> bytes:
    out, rand = bytearray(), 0x42
    for byte in data:
        out.append(byte ^ rand)
        rand = (rand >> 1) ^ 0xB8 if rand & 1 else rand >> 1
    return bytes(out)


def stuff(frame: bytes) -> bytes:
    out = bytearray()
    for byte in frame:
        out += bytes([ESCAPE, byte ^ 0x20]) if byte in RESERVED else bytes([byte])
    return bytes(out) + bytes([FLAG])


def unstuff(raw: bytes) -> bytes:
    out, escaped = bytearray(), False
    for byte in raw:
        if escaped:
            out.append(byte ^ 0x20)
            escaped = False
        elif byte == ESCAPE:
            escaped = True
        else:
            out.append(byte)
    return bytes(out)


class AshNcp:
    """Serves one NCP on a fresh pty; `port` is the path to open. Call `close()` when done."""

    def __init__(self, ncp: FakeNcp):
        self.ncp = ncp
        ncp.emit = self._send_data
        self._master, slave = os.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave
        self._frm = 0
        self._ack = 0
        self._lock = threading.Lock()
        self._stop = False
        self.resets = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop = True
        os.close(self._master)
        os.close(self._slave)

    def _write(self, frame: bytes) -> None:
        body = frame + crc_ccitt(frame).to_bytes(2, "big")
        with self._lock:
            os.write(self._master, stuff(body))

    def _send_data(self, ezsp_frame: bytes) -> None:
        control = (self._frm << 4) | self._ack
        self._frm = (self._frm + 1) & 7
        self._write(bytes([control]) + randomise(ezsp_frame))

    def _serve(self) -> None:
        buf = bytearray()
        while not self._stop:
            try:
                chunk = os.read(self._master, 256)
            except OSError:
                return
            for byte in chunk:
                if byte == CANCEL:
                    buf.clear()
                elif byte == SUBSTITUTE:
                    buf.clear()
                elif byte == FLAG:
                    self._frame(unstuff(bytes(buf)))
                    buf.clear()
                else:
                    buf.append(byte)

    def _frame(self, frame: bytes) -> None:
        if len(frame) < 3 or crc_ccitt(frame[:-2]) != int.from_bytes(frame[-2:], "big"):
            return
        control, data = frame[0], frame[1:-2]
        if control == RST:
            self._frm = self._ack = 0
            self.resets += 1
            self._write(bytes([RSTACK, ASH_VERSION, RESET_SOFTWARE]))
        elif control & 0x80 == 0:                       # DATA
            frm = (control >> 4) & 7
            if frm == self._ack:
                self._ack = (frm + 1) & 7
                self._write(bytes([0x80 | self._ack]))  # ACK
                self.ncp.handle(randomise(data))
            else:
                self._write(bytes([0x80 | self._ack]))
        # ACK / NAK from the host: nothing to retransmit here
