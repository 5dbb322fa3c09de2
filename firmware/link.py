# Board side of the board link: reads request frames from a byte stream, dispatches them to
# registered handlers, writes responses and events. Runs under MicroPython and CPython.
from firmware import linkproto


READ_CHUNK = 256  # bytes read at a time from the console
WRITE_CHUNK = 2048  # bytes written at a time to the console


class MethodError(Exception):
    """Raised by a handler to answer a request with an error `code` (e.g. "bad_params")."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def param(params, name, kind, default=None, required=True):
    """`params[name]` checked against `kind` (a type or tuple of types); raises MethodError naming it."""
    if name not in params:
        if required:
            raise MethodError("bad_params", "missing parameter %r" % name)
        return default
    value = params[name]
    # isinstance(True, int) is False on MicroPython but True on CPython: reject bools for ints on both.
    if value is True or value is False:
        ok = kind is bool or (isinstance(kind, tuple) and bool in kind)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise MethodError("bad_params", "parameter %r has the wrong type" % name)
    return value


class StdioPort:
    """The board's console as the link's byte stream: sys.stdin/sys.stdout buffers with select.poll."""

    def __init__(self):
        import select
        import sys

        self._in = sys.stdin.buffer
        self._out = sys.stdout.buffer
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)

    def wait(self, timeout_ms):
        """True when input is ready within `timeout_ms`."""
        return bool(self._poll.poll(timeout_ms))

    def readline(self, limit):
        """One line of at most `limit` bytes, read in small pieces: MicroPython's stream readline(n) reserves n
        bytes up front, and reserving the largest frame on every poll fragments a board-sized heap."""
        line = self._in.readline(READ_CHUNK)
        if not line or line.endswith(b"\n") or len(line) < READ_CHUNK:
            return line
        parts = [line]
        size = len(line)
        while size < limit:
            chunk = self._in.readline(min(READ_CHUNK, limit - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
        return b"".join(parts)

    def write(self, data):
        self._out.write(data)
        flush = getattr(self._out, "flush", None)
        if flush:
            flush()


class Link:
    """Request dispatch and event output over a port with wait(timeout_ms), readline(limit), write(bytes)."""

    def __init__(self, port):
        self.port = port
        self.handlers = {}
        self.event_seq = 0
        self.stats = {"rx": 0, "tx": 0, "bad": 0, "oversized": 0, "log_lines": 0}

    def register(self, methods):
        """Add link methods: a dict of name -> fn(params) -> dict."""
        for name in methods:
            self.handlers[name] = methods[name]

    def emit(self, name, data):
        """Send an event (something the device did on its own)."""
        self.event_seq = (self.event_seq + 1) & 0xFFFF
        self._send(linkproto.EVENT, self.event_seq, {"e": name, "d": data})

    def poll(self, timeout_ms):
        """Wait up to `timeout_ms` for one line and handle it; True when a line was read.

        Raises EOFError when the input has closed."""
        if not self.port.wait(timeout_ms):
            return False
        line = self.port.readline(linkproto.MAX_LINE)
        if not line:
            raise EOFError("console closed")
        if not line.endswith(b"\n") and len(line) >= linkproto.MAX_LINE:
            self.stats["oversized"] += 1
            self._discard_rest()
            return True
        text = linkproto.frame_text(line)
        line = None  # a large frame's copies are garbage as soon as they are used (a board's heap is small)
        if text is None:
            self.stats["log_lines"] += 1
            return True
        try:
            kind, seq, body = linkproto.decode(text)
        except linkproto.FrameError:
            self.stats["bad"] += 1
            return True
        self.stats["rx"] += 1
        text = None
        if kind == linkproto.REQUEST:
            self._answer(seq, body)
        else:
            self.stats["bad"] += 1
        return True

    def _discard_rest(self):
        while True:
            chunk = self.port.readline(linkproto.MAX_LINE)
            if not chunk or chunk.endswith(b"\n"):
                return

    def _answer(self, seq, body):
        method = body.get("m")
        params = body.get("p", {})
        fn = self.handlers.get(method) if isinstance(method, str) else None
        if fn is None:
            self._error(seq, "unknown_method", "no method %r" % (method,))
            return
        if not isinstance(params, dict):
            self._error(seq, "bad_params", "params must be an object")
            return
        try:
            result = fn(params)
        except MethodError as e:
            self._error(seq, e.code, e.message)
            return
        except Exception as e:  # a handler bug must not kill the board; report it to the host
            self._error(seq, "internal", "%s: %s" % (type(e).__name__, e))
            return
        try:
            self._send(linkproto.RESPONSE, seq, result if result is not None else {})
        except ValueError as e:
            self._error(seq, "too_large", str(e))

    def _error(self, seq, code, message):
        self._send(linkproto.ERROR, seq, {"code": code, "message": message[:200]})

    def _send(self, kind, seq, body):
        """Write a frame in writes of about WRITE_CHUNK bytes: one write for a small frame, and never a copy of a
        whole large one."""
        out = b""
        for part in linkproto.encode_parts(kind, seq, body):
            out += part
            if len(out) >= WRITE_CHUNK:
                self.port.write(out)
                out = b""
        if out:
            self.port.write(out)
        self.stats["tx"] += 1
