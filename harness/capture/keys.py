"""Keys beside a capture so Wireshark and tshark can decrypt it.

Writes `zigbee_pc_keys` (the Wireshark UAT file: copy it into the Wireshark profile, or point tshark at it) and a
`<capture>.keys.txt` that lists the keys and gives the exact tshark command line. Keys labelled "network key ...",
"inter-PAN ..." or otherwise (link keys) tell the capture verifier what each opens; inter-PAN keys are listed too,
with a note that Wireshark cannot use them (see `INTERPAN_NOTE`). Keys are 16 octets, written as
colon-separated hex in "Normal" byte order.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from harness.errors import InputError

UAT_NAME = "zigbee_pc_keys"
INTERPAN_NOTE = ("Inter-PAN keys: Wireshark/tshark (checked with 4.0) do not decrypt APS-secured inter-PAN frames "
                 "with them: the CCM* nonce of an inter-PAN frame takes its source from the MAC source address, and the dissector "
                 "shows 'Extended Source: Unknown' and leaves the payload encrypted. The rig's capture verifier "
                 "(harness.capture.verify) decrypts them with these keys.")


def _hex(key: bytes) -> str:
    return ":".join(f"{b:02X}" for b in key)


def read_uat(path: str | Path) -> dict[bytes, str]:
    """The keys of a `zigbee_pc_keys` file (ours or one from a Wireshark profile): {key: label}."""
    keys: dict[bytes, str] = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip().strip('"') for c in line.split('","')]
        try:
            key = bytes.fromhex(cells[0].replace(":", ""))
        except ValueError:
            raise InputError(f"line {number}: key is not hex", field=str(path)) from None
        if len(key) != 16:
            raise InputError(f"line {number}: a Zigbee key is 16 octets", field=str(path))
        keys.setdefault(key, cells[2] if len(cells) > 2 else "")
    return keys


def _record(key: bytes, label: str) -> str:
    safe = label.replace('"', "'").replace("\\", "/")
    return f'"{_hex(key)}","Normal","{safe}"'


class CaptureKeys:
    """Collects network and link keys seen in a run and rewrites the keys files whenever one is added."""

    def __init__(self, pcap_path: str | Path):
        self.pcap_path = Path(pcap_path)
        self.uat_path = self.pcap_path.with_name(UAT_NAME)
        self.readme_path = self.pcap_path.with_name(self.pcap_path.stem + ".keys.txt")
        self._keys: dict[bytes, str] = {}
        self._write()

    def add(self, key: bytes, label: str) -> None:
        """Record a key (first label wins); no-op when already known."""
        if len(key) != 16:
            raise ValueError("Zigbee keys are 16 octets")
        if bytes(key) not in self._keys:
            self._keys[bytes(key)] = label
            self._write()

    def keys(self) -> dict[bytes, str]:
        return dict(self._keys)

    def tshark_options(self) -> list[str]:
        """The `-o uat:zigbee_pc_keys:...` arguments, one per key (as argv items)."""
        out: list[str] = []
        for key, label in self._keys.items():
            out += ["-o", f"uat:{UAT_NAME}:{_record(key, label)}"]
        return out

    def tshark_command(self) -> str:
        return shlex.join(["tshark", "-r", self.pcap_path.name, *self.tshark_options(), "-V"])

    def _write(self) -> None:
        records = [_record(k, label) for k, label in self._keys.items()]
        self.uat_path.write_text("# Wireshark zigbee_pc_keys UAT: key, byte order, label\n"
                                 + "".join(r + "\n" for r in records))
        lines = [f"Keys for {self.pcap_path.name} (802.15.4 with FCS, Zigbee PRO, security level 5 ENC-MIC-32).", ""]
        lines += [f"{_hex(k)}  {label}" for k, label in self._keys.items()]
        if any(label.startswith("inter-PAN") for label in self._keys.values()):
            lines += ["", INTERPAN_NOTE]
        lines += ["", "Wireshark: copy the file zigbee_pc_keys beside this one into your Wireshark profile directory,",
                  "or add the keys under Preferences > Protocols > ZigBee > Pre-configured Keys.", "",
                  "tshark (run in this directory):", self.tshark_command(), ""]
        self.readme_path.write_text("\n".join(lines))
