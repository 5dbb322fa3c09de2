"""pcap files of IEEE 802.15.4 frames.

`PcapWriter` writes LINKTYPE_IEEE802_15_4_WITHFCS (195, FCS computed here) or LINKTYPE_IEEE802_15_4_NOFCS (230),
one record per frame, flushed after every record so a crash loses nothing. Timestamps have nanosecond resolution,
so a frame's time reads back as exactly the clock time it was sent at (microseconds would put a frame sent the instant
a test noted the time before that instant half the time). `read_pcap` reads such a file back (or a microsecond pcap),
treating it as untrusted input.
"""
from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import BinaryIO, Iterator

from harness.errors import InputError
from harness.zigbee.mac import fcs

LINKTYPE_IEEE802_15_4_WITHFCS = 195
LINKTYPE_IEEE802_15_4_NOFCS = 230
MAGIC = 0xA1B23C4D           # nanosecond-resolution pcap
MAGIC_USEC = 0xA1B2C3D4      # the classic microsecond pcap (read only)
SNAPLEN = 0xFFFF
_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")


class PcapWriter:
    """Appends frames (MPDUs without FCS) with their timestamps (UTC seconds, virtual or real)."""

    def __init__(self, path: str | Path, linktype: int = LINKTYPE_IEEE802_15_4_WITHFCS):
        if linktype not in (LINKTYPE_IEEE802_15_4_WITHFCS, LINKTYPE_IEEE802_15_4_NOFCS):
            raise ValueError(f"unsupported link type {linktype}")
        self.path = Path(path)
        self.linktype = linktype
        self.count = 0
        self._file: BinaryIO | None = open(self.path, "wb")
        self._file.write(_GLOBAL.pack(MAGIC, 2, 4, 0, 0, SNAPLEN, linktype))
        self._file.flush()

    def write(self, timestamp: float, mpdu: bytes) -> None:
        if self._file is None:
            raise ValueError("capture is closed")
        data = mpdu + fcs(mpdu) if self.linktype == LINKTYPE_IEEE802_15_4_WITHFCS else bytes(mpdu)
        sec = math.floor(timestamp)
        nsec = round((timestamp - sec) * 1_000_000_000)   # the fraction alone: exact, unlike timestamp * 1e9
        sec, nsec = sec + nsec // 1_000_000_000, nsec % 1_000_000_000
        self._file.write(_RECORD.pack(sec, nsec, len(data), len(data)) + data)
        self._file.flush()
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "PcapWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_pcap(path: str | Path) -> tuple[int, list[tuple[float, bytes]]]:
    """(link type, [(timestamp, frame bytes as stored)]) from a little- or big-endian nano- or microsecond pcap."""
    data = Path(path).read_bytes()
    return parse_pcap(data)


def parse_pcap(data: bytes) -> tuple[int, list[tuple[float, bytes]]]:
    if len(data) < _GLOBAL.size:
        raise InputError("pcap shorter than its global header", field="global_header", offset=0)
    magics = {MAGIC: 1_000_000_000, MAGIC_USEC: 1_000_000}
    little, big = int.from_bytes(data[:4], "little"), int.from_bytes(data[:4], "big")
    if little in magics:
        order, units = "<", magics[little]
    elif big in magics:
        order, units = ">", magics[big]
    else:
        raise InputError(f"not a pcap (magic {data[:4].hex()})", field="magic", offset=0)
    _, major, _minor, _, _, snaplen, linktype = struct.unpack(order + "IHHiIII", data[:_GLOBAL.size])
    if major != 2:
        raise InputError(f"unsupported pcap version {major}", field="version_major", offset=4)
    return linktype, list(_records(data, order, snaplen, units))


def _records(data: bytes, order: str, snaplen: int, units: int) -> Iterator[tuple[float, bytes]]:
    pos = _GLOBAL.size
    while pos < len(data):
        if pos + _RECORD.size > len(data):
            raise InputError("truncated record header", field="record_header", offset=pos)
        sec, frac, incl, _orig = struct.unpack(order + "IIII", data[pos:pos + _RECORD.size])
        if frac >= units:
            raise InputError(f"sub-second timestamp out of range: {frac}", field="ts_usec", offset=pos + 4)
        if incl > max(snaplen, SNAPLEN):
            raise InputError(f"record length {incl} exceeds snaplen", field="incl_len", offset=pos + 8)
        start = pos + _RECORD.size
        if start + incl > len(data):
            raise InputError("truncated record data", field="record_data", offset=start)
        yield sec + frac / units, data[start:start + incl]
        pos = start + incl
