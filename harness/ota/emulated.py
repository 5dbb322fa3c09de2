"""What an emulated board's firmware image holds (a bench convention, not GB): the Manufacturer Image starts with
`RIGFW1` and one JSON line naming the version the board reports once it runs the image (and, for a deliberately
faulty release, the defects it plays), then filler up to the requested size. firmware/ota_image.py reads it."""
from __future__ import annotations

import hashlib
import json

MAGIC = b"RIGFW1"


def manufacturer_image(version: str, size: int = 0, *, defects: tuple[str, ...] = (), seed: str = "") -> bytes:
    """A Manufacturer Image for an emulated board, padded with deterministic filler to at least `size` octets."""
    head = MAGIC + json.dumps({"version": version, "defects": list(defects)}, separators=(",", ":")).encode() + b"\n"
    filler = bytearray()
    block = hashlib.sha256(f"{seed}|{version}".encode()).digest()
    while len(head) + len(filler) < size:
        block = hashlib.sha256(block).digest()
        filler += block
    return head + bytes(filler[:max(0, size - len(head))])
