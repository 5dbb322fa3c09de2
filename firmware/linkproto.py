# Board link framing, shared by the board (MicroPython) and the host (CPython).
#
# One frame per text line, so frames survive a cooked console (ONLCR "\n" -> "\r\n") and share the
# wire with REPL noise and tracebacks:
#
#     "@" base64(header | payload | crc32) "\n"
#
# header  = format (1 byte, FRAME_FORMAT) | kind (1 byte: q request, r response, e error, v event)
#           | seq (u16 big-endian) | payload length (u16 big-endian)
# payload = compact JSON object (UTF-8); bytes values travel hex-encoded
# crc32   = CRC-32 (IEEE) of header|payload, u32 big-endian
#
# A receiver ignores "\r", treats any line without "@" as a board log line, and decodes only the text
# after the last "@" of a line (base64 has no "@"), which resynchronises after garbage or a truncated
# frame. Lines longer than MAX_LINE are dropped whole.
import binascii
import json

PROTOCOL_VERSION = 1  # version of the link protocol (methods and their meaning), checked in the hello
FRAME_FORMAT = 1  # version of the byte layout above
START = b"@"
MAX_PAYLOAD = 16384
HEADER_LEN = 6
CRC_LEN = 4
_MAX_RAW = HEADER_LEN + MAX_PAYLOAD + CRC_LEN
MAX_LINE = 1 + (_MAX_RAW + 2) // 3 * 4 + 2  # marker, base64, "\r\n"

REQUEST = "q"
RESPONSE = "r"
ERROR = "e"
EVENT = "v"
KINDS = (REQUEST, RESPONSE, ERROR, EVENT)


class FrameError(Exception):
    """A frame that cannot be trusted; `field` names the part that is wrong."""

    def __init__(self, message, field):
        super().__init__(message)
        self.message = message
        self.field = field


def _crc32_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if c & 1 else (c >> 1)
        table.append(c)
    return table


def _crc32_soft(data, crc=0):
    table = _crc32_table()
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


try:
    crc32 = binascii.crc32
except AttributeError:  # boards built without binascii.crc32
    crc32 = _crc32_soft


B64_CHUNK = 768  # payload bytes per base64 piece (a multiple of 3, so the pieces join into one base64 text)


def encode_parts(kind, seq, body):
    """The frame line for the JSON object `body` in pieces (bytes) whose concatenation is the line: a board writes
    them one by one and never holds a copy of the whole frame (its heap is small)."""
    if kind not in KINDS:
        raise ValueError("unknown frame kind %r" % (kind,))
    if seq < 0 or seq > 0xFFFF:
        raise ValueError("seq out of range: %d" % seq)
    payload = json.dumps(body, separators=(",", ":")).encode()
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("payload of %d bytes exceeds %d" % (len(payload), MAX_PAYLOAD))
    header = bytes((FRAME_FORMAT, ord(kind))) + seq.to_bytes(2, "big") + len(payload).to_bytes(2, "big")
    crc = (crc32(payload, crc32(header)) & 0xFFFFFFFF).to_bytes(4, "big")
    parts = [START, binascii.b2a_base64(header).strip()]  # HEADER_LEN is a multiple of 3: no padding
    whole = len(payload) - len(payload) % 3
    for i in range(0, whole, B64_CHUNK):
        parts.append(binascii.b2a_base64(payload[i:min(i + B64_CHUNK, whole)]).strip())
    parts.append(binascii.b2a_base64(payload[whole:] + crc).strip() + b"\n")
    return parts


def encode(kind, seq, body):
    """One frame line (bytes, ending in "\n") carrying the JSON object `body`."""
    return b"".join(encode_parts(kind, seq, body))


def frame_text(line):
    """The candidate frame text of a received line (after its last "@", without trailing whitespace), or None for a
    log line. One copy of the line at most (a board's heap is small)."""
    at = line.rfind(START)
    if at < 0:
        return None
    end = len(line)
    while end > at + 1 and line[end - 1] in b" \t\r\n":
        end -= 1
    return line[at + 1:end]


def decode(text):
    """Decode frame text (without the "@") into (kind, seq, body); raises FrameError."""
    if len(text) > MAX_LINE:
        raise FrameError("frame of %d characters exceeds %d" % (len(text), MAX_LINE), "length")
    try:
        raw = binascii.a2b_base64(text)
    except ValueError:
        raise FrameError("not base64", "encoding")
    if len(raw) < HEADER_LEN + CRC_LEN:
        raise FrameError("truncated: %d bytes" % len(raw), "length")
    body_end = len(raw) - CRC_LEN
    if (crc32(memoryview(raw)[:body_end]) & 0xFFFFFFFF) != int.from_bytes(raw[body_end:], "big"):
        raise FrameError("CRC mismatch", "crc")
    if raw[0] != FRAME_FORMAT:
        raise FrameError("frame format %d, expected %d" % (raw[0], FRAME_FORMAT), "format")
    kind = chr(raw[1])
    if kind not in KINDS:
        raise FrameError("unknown kind 0x%02x" % raw[1], "kind")
    seq = int.from_bytes(raw[2:4], "big")
    length = int.from_bytes(raw[4:6], "big")
    if length != body_end - HEADER_LEN:
        raise FrameError("length field %d, payload is %d bytes" % (length, body_end - HEADER_LEN), "length")
    try:
        body = json.loads(raw[HEADER_LEN:body_end])
    except (ValueError, UnicodeError):
        raise FrameError("payload is not JSON", "payload")
    if not isinstance(body, dict):
        raise FrameError("payload is not a JSON object", "payload")
    return kind, seq, body
