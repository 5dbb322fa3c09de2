"""The NCP side of ASH, the UART link layer under EZSP (Silicon Labs UG101).

Frames end with a Flag byte (0x7E); reserved bytes are escaped (0x7D then the byte xor 0x20); every frame carries
a CRC-CCITT (0xFFFF initial, big-endian on the wire); the data field of DATA frames is xored with the
pseudo-random sequence of UG101 (seed 0x42, shift right, xor 0xB8 when the dropped bit is 1). Cancel (0x1A)
discards the frame in progress, Substitute (0x18) marks it bad up to the next Flag; XON/XOFF are ignored.

Control bytes: DATA 0fffrAAA, ACK 100pnAAA, NAK 101pnAAA, RST 0xC0, RSTACK 0xC1, ERROR 0xC2. The NCP answers
RST with RSTACK(version 2, reset code), acknowledges every in-sequence DATA frame, acknowledges retransmitted
duplicates without delivering them again, NAKs an out-of-sequence or damaged DATA frame once (the reject
condition lasts until a good in-sequence frame), sends its own DATA frames in a window of `window` unacknowledged
frames, retransmits them (reTx set) on a NAK or when T_RX_ACK expires (adaptive between 0.4 and 3.2 s, starting
at 1.6 s, doubled on each timeout) and after ACK_TIMEOUTS consecutive timeouts sends ERROR and enters the FAILED
state, where only RST is obeyed.

Time comes from `clock` (seconds); the owner calls `poll()` at or after `next_deadline()`.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

FLAG, ESCAPE, XON, XOFF, SUBSTITUTE, CANCEL = 0x7E, 0x7D, 0x11, 0x13, 0x18, 0x1A
RESERVED = frozenset((FLAG, ESCAPE, XON, XOFF, SUBSTITUTE, CANCEL))
RST, RSTACK, ERROR = 0xC0, 0xC1, 0xC2
ASH_VERSION = 0x02
RESET_POWER_ON, RESET_SOFTWARE = 0x02, 0x0B
ERROR_EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT = 0x51
T_RX_ACK_INIT, T_RX_ACK_MIN, T_RX_ACK_MAX = 1.6, 0.4, 3.2
ACK_TIMEOUTS = 4
MAX_FRAME = 220


def crc_ccitt(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def randomise(data: bytes) -> bytes:
    """Xor with the UG101 pseudo-random sequence (its own inverse)."""
    out, rand = bytearray(), 0x42
    for byte in data:
        out.append(byte ^ rand)
        rand = (rand >> 1) ^ 0xB8 if rand & 1 else rand >> 1
    return bytes(out)


def stuff(frame: bytes) -> bytes:
    """Escape reserved bytes and append the Flag."""
    out = bytearray()
    for byte in frame:
        out += bytes([ESCAPE, byte ^ 0x20]) if byte in RESERVED else bytes([byte])
    return bytes(out) + bytes([FLAG])


def unstuff(raw: bytes) -> bytes | None:
    """Undo escaping; None when an escape is malformed (escaped byte that is not reserved, or a trailing escape)."""
    out, escaped = bytearray(), False
    for byte in raw:
        if escaped:
            byte ^= 0x20
            if byte not in RESERVED:
                return None
            out.append(byte)
            escaped = False
        elif byte == ESCAPE:
            escaped = True
        else:
            out.append(byte)
    return None if escaped else bytes(out)


def with_crc(body: bytes) -> bytes:
    return body + crc_ccitt(body).to_bytes(2, "big")


def data_control(frm: int, ack: int, retransmit: bool) -> int:
    return (frm << 4) | (0x08 if retransmit else 0) | ack


@dataclass
class AshStats:
    rx_data: int = 0
    rx_duplicates: int = 0
    rx_bad: int = 0
    tx_data: int = 0
    retransmissions: int = 0
    naks_sent: int = 0
    naks_received: int = 0
    resets: int = 0
    errors: list[int] = field(default_factory=list)


class Faults:
    """Fault injection on the serial line. `outbound` / `inbound` map the 0-based index of a DATA frame (those the
    NCP writes / those it reads from the host, retransmissions included) to 'drop', 'corrupt' or 'duplicate';
    inbound also to 'reset' (the NCP resets as that frame arrives, as after a watchdog reset)."""

    def __init__(self, outbound: dict[int, str] | None = None, inbound: dict[int, str] | None = None):
        self.outbound = dict(outbound or {})
        self.inbound = dict(inbound or {})
        self._out = self._in = 0
        self.applied: list[tuple[str, int, str]] = []

    def on_write(self, raw: bytes) -> list[bytes]:
        if not _is_data(raw[:-1]):
            return [raw]
        action = self.outbound.get(self._out)
        if action:
            self.applied.append(("out", self._out, action))
        self._out += 1
        return _apply(action, raw)

    def on_read(self, raw: bytes) -> list[bytes] | None:
        if not _is_data(raw):
            return [raw]
        action = self.inbound.get(self._in)
        if action:
            self.applied.append(("in", self._in, action))
        self._in += 1
        return None if action == "reset" else _apply(action, raw)


def _is_data(stuffed: bytes) -> bool:
    frame = unstuff(stuffed)
    return bool(frame) and frame[0] & 0x80 == 0


def _apply(action: str | None, data: bytes) -> list[bytes]:
    if action == "drop":
        return []
    if action == "duplicate":
        return [data, data]
    if action == "corrupt":
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0x04 if flipped[len(flipped) // 2] not in (FLAG ^ 0x04, ESCAPE ^ 0x04) else 0x01
        return [bytes(flipped)]
    return [data]


class AshNcp:
    """One NCP end of an ASH link. `write(bytes)` puts bytes on the line; `deliver(ezsp_frame)` receives each
    EZSP frame the host sent (in order, once); `on_reset()` is called when the host resets the NCP."""

    def __init__(self, write: Callable[[bytes], None], deliver: Callable[[bytes], None], *,
                 on_reset: Callable[[], None] = lambda: None, clock: Callable[[], float] = time.monotonic,
                 window: int = 3, faults: Faults | None = None):
        self._write_raw, self._deliver, self._on_reset, self._clock = write, deliver, on_reset, clock
        self.window = window
        self.faults = faults
        self.stats = AshStats()
        self._buffer = bytearray()
        self._discarding = False
        self.connected = False
        self.failed = False
        self._clear()

    def _clear(self) -> None:
        self._frm_tx = 0          # number of our next new DATA frame
        self._ack_rx = 0          # oldest of our frames not yet acknowledged
        self._frm_rx = 0          # number of the host's next expected DATA frame
        self._rejecting = False
        self._pending: deque[bytes] = deque()          # EZSP frames not yet sent
        self._unacked: dict[int, bytes] = {}          # frame number -> EZSP frame, in flight
        self._t_rx_ack = T_RX_ACK_INIT
        self._timeouts = 0
        self._sent_at: float | None = None            # when the oldest in-flight frame was (re)sent

    # ---- host -> NCP --------------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        for byte in data:
            if byte == FLAG:
                raw, self._buffer = bytes(self._buffer), bytearray()
                if self._discarding:
                    self._discarding = False
                    self._bad_frame(raw)
                elif raw:
                    frames = self.faults.on_read(raw) if self.faults else [raw]
                    if frames is None:
                        self.reset(RESET_SOFTWARE)
                        continue
                    for frame in frames:
                        self._frame(frame)
            elif byte == CANCEL:
                self._buffer.clear()
                self._discarding = False
            elif byte == SUBSTITUTE:
                self._buffer.clear()
                self._discarding = True
            elif byte in (XON, XOFF):
                continue
            elif not self._discarding:
                self._buffer.append(byte)
                if len(self._buffer) > 2 * MAX_FRAME:
                    self._buffer.clear()
                    self._discarding = True

    def _frame(self, raw: bytes) -> None:
        frame = unstuff(raw)
        if frame is None or len(frame) < 3 or crc_ccitt(frame[:-2]) != int.from_bytes(frame[-2:], "big"):
            self._bad_frame(raw)
            return
        control, body = frame[0], frame[1:-2]
        if control == RST:
            self.reset(RESET_SOFTWARE)
            return
        if self.failed or not self.connected:
            return
        if control & 0x80 == 0:
            self._data(control, body)
        elif control & 0xE0 == 0x80:
            self._ack(control & 0x07)
        elif control & 0xE0 == 0xA0:
            self.stats.naks_received += 1
            self._ack(control & 0x07)
            self._retransmit_all()

    def _bad_frame(self, raw: bytes) -> None:
        self.stats.rx_bad += 1
        frame = unstuff(raw) or raw
        if self.connected and not self.failed and frame and frame[0] & 0x80 == 0:
            self._reject()

    def _data(self, control: int, body: bytes) -> None:
        frm, retransmit, ack = (control >> 4) & 0x07, bool(control & 0x08), control & 0x07
        self._ack(ack)
        if frm == self._frm_rx:
            self._frm_rx = (frm + 1) & 0x07
            self._rejecting = False
            self.stats.rx_data += 1
            self._send_control(0x80 | self._frm_rx)
            self._deliver(randomise(body))
        elif retransmit:
            self.stats.rx_duplicates += 1
            self._send_control(0x80 | self._frm_rx)
        else:
            self._reject()

    def _reject(self) -> None:
        if not self._rejecting:
            self._rejecting = True
            self.stats.naks_sent += 1
            self._send_control(0xA0 | self._frm_rx)

    def _ack(self, ack: int) -> None:
        """The host acknowledges our frames up to (not including) `ack`; anything outside the window is ignored."""
        outstanding = (self._frm_tx - self._ack_rx) & 0x07
        if (ack - self._ack_rx) & 0x07 > outstanding:
            return
        advanced = False
        while self._ack_rx != ack:
            self._unacked.pop(self._ack_rx, None)
            self._ack_rx = (self._ack_rx + 1) & 0x07
            advanced = True
        if advanced:
            if self._sent_at is not None:
                measured = self._clock() - self._sent_at
                self._t_rx_ack = min(T_RX_ACK_MAX, max(T_RX_ACK_MIN, 7 / 8 * self._t_rx_ack + measured / 2))
            self._timeouts = 0
            self._sent_at = self._clock() if self._unacked else None
            self._pump()

    # ---- NCP -> host --------------------------------------------------------------------------------------
    def send(self, ezsp_frame: bytes) -> None:
        """Queue one EZSP frame (response or callback) for the host."""
        self._pending.append(bytes(ezsp_frame))
        self._pump()

    def idle(self) -> bool:
        """Nothing queued or unacknowledged."""
        return not self._pending and not self._unacked

    def _pump(self) -> None:
        while self.connected and not self.failed and self._pending and len(self._unacked) < self.window:
            frm = self._frm_tx
            self._frm_tx = (frm + 1) & 0x07
            self._unacked[frm] = self._pending.popleft()
            self.stats.tx_data += 1
            if self._sent_at is None:
                self._sent_at = self._clock()
            self._send_data(frm, retransmit=False)

    def _send_data(self, frm: int, retransmit: bool) -> None:
        self._write(bytes([data_control(frm, self._frm_rx, retransmit)]) + randomise(self._unacked[frm]))

    def _retransmit_all(self) -> None:
        frm = self._ack_rx
        while frm != self._frm_tx:
            if frm in self._unacked:
                self.stats.retransmissions += 1
                self._send_data(frm, retransmit=True)
            frm = (frm + 1) & 0x07
        if self._unacked:
            self._sent_at = self._clock()

    def next_deadline(self) -> float | None:
        return None if self._sent_at is None or self.failed else self._sent_at + self._t_rx_ack

    def poll(self) -> None:
        """Run the retransmission timer."""
        deadline = self.next_deadline()
        if deadline is None or self._clock() < deadline:
            return
        self._timeouts += 1
        if self._timeouts > ACK_TIMEOUTS:
            self.fail(ERROR_EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT)
            return
        self._t_rx_ack = min(T_RX_ACK_MAX, self._t_rx_ack * 2)
        self._retransmit_all()

    # ---- resets and failures --------------------------------------------------------------------------------
    def reset(self, code: int) -> None:
        """The NCP resets (RST from the host, or its own reset): state cleared, RSTACK sent."""
        self.stats.resets += 1
        self._clear()
        self.failed = False
        self.connected = True
        self._on_reset()
        self._write(bytes([RSTACK, ASH_VERSION, code]))

    def fail(self, code: int) -> None:
        """Enter the FAILED state and tell the host with an ERROR frame."""
        self.stats.errors.append(code)
        self._write(bytes([ERROR, ASH_VERSION, code]))
        self.failed = True
        self._clear()

    def _send_control(self, control: int) -> None:
        self._write(bytes([control]))

    def _write(self, body: bytes) -> None:
        raw = stuff(with_crc(body))
        for out in (self.faults.on_write(raw) if self.faults else [raw]):
            self._write_raw(out)
