"""One run's capture: the pcap plus its keys files, fed by the radio layer."""
from __future__ import annotations

from pathlib import Path

from harness.capture.keys import CaptureKeys
from harness.capture.pcap import LINKTYPE_IEEE802_15_4_WITHFCS, PcapWriter


class Capture:
    """`frame(ts, mpdu)` records an MPDU (without FCS); `key(k, label)` records a key for decryption."""

    def __init__(self, pcap_path: str | Path, linktype: int = LINKTYPE_IEEE802_15_4_WITHFCS):
        self.pcap = PcapWriter(pcap_path, linktype)
        self.keys = CaptureKeys(pcap_path)

    @property
    def path(self) -> Path:
        return self.pcap.path

    def frame(self, timestamp: float, mpdu: bytes) -> None:
        self.pcap.write(timestamp, mpdu)

    def key(self, key: bytes, label: str) -> None:
        self.keys.add(key, label)

    def close(self) -> None:
        self.pcap.close()
