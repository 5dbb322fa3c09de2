"""Splits the byte stream from a board into frames and log lines, resynchronising after garbage."""
from __future__ import annotations

from dataclasses import dataclass

from firmware import linkproto
from harness.errors import InputError


@dataclass(frozen=True)
class Frame:
    kind: str
    seq: int
    body: dict


class Framer:
    """Feed bytes in; get back `Frame`s, log lines (str) and `InputError`s for frames that failed checks.

    Lines are bounded: a line longer than `linkproto.MAX_LINE` is dropped whole and counted as oversized.
    """

    def __init__(self, max_line: int = linkproto.MAX_LINE):
        self.max_line = max_line
        self._buf = bytearray()
        self._dropping = False
        self.stats = {"frames": 0, "bad": 0, "oversized": 0, "log_lines": 0}

    def feed(self, data: bytes) -> list[Frame | str | InputError]:
        out: list[Frame | str | InputError] = []
        for line in self._lines(data):
            out.extend(self._line(line.replace(b"\r", b"")))
        return out

    def _lines(self, data: bytes) -> list[bytes]:
        lines = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            chunk = data[start:] if nl < 0 else data[start:nl]
            if self._dropping:
                if nl >= 0:
                    self._dropping = False
            else:
                self._buf += chunk
                if len(self._buf) > self.max_line:
                    self.stats["oversized"] += 1
                    self._buf.clear()
                    self._dropping = nl < 0
                elif nl >= 0:
                    lines.append(bytes(self._buf))
                    self._buf.clear()
            if nl < 0:
                return lines
            start = nl + 1

    def _line(self, line: bytes) -> list[Frame | str | InputError]:
        """A frame (with any text before its "@" as a log line), or the whole line as a log line."""
        at = line.rfind(linkproto.START)
        if at < 0:
            return self._log(line)
        try:
            kind, seq, body = linkproto.decode(line[at + 1:].strip())
        except linkproto.FrameError as e:
            self.stats["bad"] += 1
            return [*self._log(line), InputError(f"bad frame from board: {e.message}", field=e.field)]
        self.stats["frames"] += 1
        return [*self._log(line[:at]), Frame(kind, seq, body)]

    def _log(self, text: bytes) -> list[str]:
        if not text.strip():
            return []
        self.stats["log_lines"] += 1
        return [text.decode("utf-8", "replace")]
