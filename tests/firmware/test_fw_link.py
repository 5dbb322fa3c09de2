# Board link framing (firmware/linkproto.py) and the board-side dispatcher (firmware/link.py).
# Runs under CPython (pytest) and the MicroPython unix port (mp_runner).
import binascii
import json

from firmware import linkproto
from firmware.link import Link, MethodError, param


class FakePort:
    """A link port fed with byte lines; readline honours the limit like a stream would."""

    def __init__(self, lines=()):
        self.input = b"".join(lines)
        self.out = []

    def feed(self, data):
        self.input += data

    def wait(self, timeout_ms):
        return len(self.input) > 0

    def readline(self, limit):
        nl = self.input.find(b"\n")
        end = len(self.input) if nl < 0 else nl + 1
        end = min(end, limit)
        line, self.input = self.input[:end], self.input[end:]
        return line

    def write(self, data):
        self.out.append(data)

    def frames(self):
        lines = b"".join(self.out).split(b"\n")[:-1]  # a frame may be written in several pieces
        self.out = []
        return [linkproto.decode(linkproto.frame_text(line + b"\n")) for line in lines]


def raw_frame(kind, seq, payload):
    raw = bytes((linkproto.FRAME_FORMAT, ord(kind))) + seq.to_bytes(2, "big") + len(payload).to_bytes(2, "big")
    raw += payload
    return raw + (binascii.crc32(raw) & 0xFFFFFFFF).to_bytes(4, "big")


def b64(raw):
    return binascii.b2a_base64(raw).strip()


def expect_frame_error(text, field):
    try:
        linkproto.decode(text)
    except linkproto.FrameError as e:
        assert e.field == field, (e.field, field)
        return
    raise AssertionError("decoded a bad frame")


def test_round_trip():
    body = {"m": "relay.set", "p": {"on": False, "blob": "00ff", "n": 70000, "text": "caf\u00e9"}}
    line = linkproto.encode(linkproto.REQUEST, 513, body)
    assert line.startswith(b"@") and line.endswith(b"\n")
    assert b"\r" not in line and line.count(b"\n") == 1
    kind, seq, got = linkproto.decode(linkproto.frame_text(line))
    assert (kind, seq) == (linkproto.REQUEST, 513)
    assert got == body


def test_crc_matches_known_value():
    # CRC-32/IEEE check value of "123456789"
    assert linkproto.crc32(b"123456789") & 0xFFFFFFFF == 0xCBF43926
    assert linkproto._crc32_soft(b"123456789") == 0xCBF43926


def test_corrupted_byte_is_rejected_by_crc():
    raw = bytearray(raw_frame("r", 7, b'{"a":1}'))
    raw[8] ^= 0x01
    expect_frame_error(b64(bytes(raw)), "crc")


def test_truncated_frame_is_rejected():
    raw = raw_frame("r", 7, b'{"a":1}')
    expect_frame_error(b64(raw[:7]), "length")
    expect_frame_error(b64(raw[:-3]), "crc")


def test_length_field_must_match():
    payload = b'{"a":1}'
    raw = bytes((1, ord("r"))) + (7).to_bytes(2, "big") + (99).to_bytes(2, "big") + payload
    raw += (binascii.crc32(raw) & 0xFFFFFFFF).to_bytes(4, "big")
    expect_frame_error(b64(raw), "length")


def test_unknown_format_kind_and_payload():
    raw = bytearray(raw_frame("r", 1, b"{}"))
    raw[0] = 9
    raw = bytes(raw[:-4])
    expect_frame_error(b64(raw + (binascii.crc32(raw) & 0xFFFFFFFF).to_bytes(4, "big")), "format")
    expect_frame_error(b64(raw_frame("z", 1, b"{}")), "kind")
    expect_frame_error(b64(raw_frame("r", 1, b"[1]")), "payload")
    expect_frame_error(b64(raw_frame("r", 1, b"{nope")), "payload")


def test_frame_text_resynchronises_on_last_marker():
    good = linkproto.encode(linkproto.EVENT, 3, {"e": "x", "d": {}})
    assert linkproto.frame_text(b"Traceback (most recent call last):\r\n") is None
    assert linkproto.frame_text(b"@AAAA" + good) == good.strip()[1:]
    assert linkproto.frame_text(b"noise\x00\xff" + good.replace(b"\n", b"\r\n")) == good.strip()[1:]


def test_encode_rejects_oversized_payload_and_bad_seq():
    for bad in ({"x": "a" * linkproto.MAX_PAYLOAD}, None):
        try:
            if bad is None:
                linkproto.encode(linkproto.EVENT, 70000, {})
            else:
                linkproto.encode(linkproto.EVENT, 1, bad)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % (bad,))
    biggest = {"x": "a" * (linkproto.MAX_PAYLOAD - 8)}
    line = linkproto.encode(linkproto.EVENT, 1, biggest)
    assert len(line) <= linkproto.MAX_LINE
    assert linkproto.decode(linkproto.frame_text(line))[2] == biggest


def request(seq, method, params=None):
    return linkproto.encode(linkproto.REQUEST, seq, {"m": method, "p": params or {}})


def make_link(lines):
    port = FakePort(lines)
    link = Link(port)

    def add(params):
        return {"sum": param(params, "a", int) + param(params, "b", int, 0, required=False)}

    def refuse(params):
        raise MethodError("busy", "not now")

    def crash(params):
        return 1 // 0

    link.register({"add": add, "refuse": refuse, "crash": crash})
    return port, link


def drain(port, link):
    while link.poll(0):
        pass
    return port.frames()


def test_dispatch_answers_with_matching_seq():
    port, link = make_link([request(5, "add", {"a": 2, "b": 3}), request(6, "add", {"a": 1})])
    assert drain(port, link) == [("r", 5, {"sum": 5}), ("r", 6, {"sum": 1})]


def test_dispatch_errors_are_typed():
    port, link = make_link([request(1, "nope"), request(2, "add", {"a": "x"}), request(3, "add", {}),
                            request(4, "refuse"), request(5, "crash"), request(6, "add", {"a": True})])
    got = drain(port, link)
    assert [(k, s, b["code"]) for k, s, b in got] == [
        ("e", 1, "unknown_method"), ("e", 2, "bad_params"), ("e", 3, "bad_params"), ("e", 4, "busy"),
        ("e", 5, "internal"), ("e", 6, "bad_params")]
    assert "'a'" in got[1][2]["message"] and "ZeroDivisionError" in got[4][2]["message"]


def test_garbage_and_bad_frames_are_counted_and_skipped():
    corrupt = bytearray(request(2, "add", {"a": 1}))
    corrupt[10] = ord("A") if corrupt[10] != ord("A") else ord("B")
    port, link = make_link([b"hello from the REPL\r\n", bytes(corrupt), b"@@@\n",
                            b"junk" + request(3, "add", {"a": 4})])
    assert drain(port, link) == [("r", 3, {"sum": 4})]
    assert link.stats["log_lines"] == 1
    assert link.stats["bad"] == 2
    assert link.stats["rx"] == 1


def test_oversized_line_is_dropped_whole():
    port, link = make_link([b"@" + b"A" * (linkproto.MAX_LINE * 2 + 10) + b"\n", request(9, "add", {"a": 9})])
    assert drain(port, link) == [("r", 9, {"sum": 9})]
    assert link.stats["oversized"] == 1


def test_events_carry_their_own_sequence():
    port, link = make_link([])
    link.emit("display", {"text": "HI"})
    link.emit("relay", {"on": False})
    assert port.frames() == [("v", 1, {"e": "display", "d": {"text": "HI"}}),
                             ("v", 2, {"e": "relay", "d": {"on": False}})]


def test_too_large_answer_becomes_an_error():
    port = FakePort([request(1, "big")])
    link = Link(port)
    link.register({"big": lambda params: {"x": "a" * linkproto.MAX_PAYLOAD}})
    got = drain(port, link)
    assert got[0][0] == "e" and got[0][2]["code"] == "too_large"


def test_eof_is_reported():
    class Closed(FakePort):
        def wait(self, timeout_ms):
            return True

    link = Link(Closed())
    try:
        link.poll(0)
    except EOFError:
        return
    raise AssertionError("EOF not reported")


def test_payload_is_compact_json():
    line = linkproto.encode(linkproto.RESPONSE, 1, {"a": [1, 2]})
    raw = binascii.a2b_base64(line[1:].strip())
    assert json.loads(raw[6:-4]) == {"a": [1, 2]}
    assert b" " not in raw[6:-4]


def test_large_frame_is_written_in_small_pieces():
    body = {"data": "x" * 12000}
    parts = linkproto.encode_parts(linkproto.RESPONSE, 7, body)
    assert b"".join(parts) == linkproto.encode(linkproto.RESPONSE, 7, body)
    assert max(len(p) for p in parts) <= linkproto.B64_CHUNK * 4 // 3 + 8
    assert linkproto.decode(linkproto.frame_text(b"".join(parts))) == (linkproto.RESPONSE, 7, body)
    for n in range(7):  # every payload length modulo 3, around the piece size
        body = {"d": "y" * (linkproto.B64_CHUNK - 12 + n)}
        assert linkproto.decode(linkproto.frame_text(linkproto.encode("v", n, body))) == ("v", n, body)
