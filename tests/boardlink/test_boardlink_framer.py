"""Host-side splitting of the board's byte stream into frames and log lines."""
from __future__ import annotations

from firmware import linkproto
from harness.errors import InputError
from rig.boardlink.framer import Frame, Framer


def event(seq: int, name: str = "display") -> bytes:
    return linkproto.encode(linkproto.EVENT, seq, {"e": name, "d": {"text": str(seq)}})


def test_frames_split_across_reads_with_crlf_and_noise() -> None:
    stream = (b"MPY: soft reboot\r\n" + event(1).replace(b"\n", b"\r\n") + b"Traceback (most recent call last):\r\n"
              + event(2).replace(b"\n", b"\r\n"))
    for size in (1, 3, 7, len(stream)):
        framer = Framer()
        items = []
        for i in range(0, len(stream), size):
            items += framer.feed(stream[i:i + size])
        assert items == ["MPY: soft reboot", Frame("v", 1, {"e": "display", "d": {"text": "1"}}),
                         "Traceback (most recent call last):", Frame("v", 2, {"e": "display", "d": {"text": "2"}})]
        assert framer.stats == {"frames": 2, "bad": 0, "oversized": 0, "log_lines": 2}


def test_truncated_frame_is_kept_as_a_log_line_and_the_next_frame_decodes() -> None:
    framer = Framer()
    items = framer.feed(b"@AAAAB" + event(3))
    assert items == ["@AAAAB", Frame("v", 3, {"e": "display", "d": {"text": "3"}})]


def test_corrupt_frame_is_reported_with_its_field_and_kept_as_evidence() -> None:
    line = bytearray(event(4))
    line[12] = ord("B") if line[12] != ord("B") else ord("C")
    framer = Framer()
    items = framer.feed(bytes(line))
    assert isinstance(items[0], str) and items[0].startswith("@")
    assert isinstance(items[1], InputError) and items[1].field == "crc"
    assert framer.stats["bad"] == 1


def test_oversized_line_is_dropped_and_counted_then_stream_recovers() -> None:
    framer = Framer(max_line=200)
    items = framer.feed(b"@" + b"A" * 150)
    items += framer.feed(b"A" * 150)
    items += framer.feed(b"A" * 150 + b"\n" + event(5))
    assert items == [Frame("v", 5, {"e": "display", "d": {"text": "5"}})]
    assert framer.stats["oversized"] == 1
