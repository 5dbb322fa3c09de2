"""One flipped bit in a signed or MAC'd RTDS message must never verify."""
from __future__ import annotations

import random

from harness.errors import InputError
from harness.gbcs.apdu import Message
from harness.gbcs.verify import INVALID, UNVERIFIABLE, VALID, verify

SAMPLES_PER_FILE = 6


def _title_span(raw: bytes) -> range:
    """Byte positions of the originator and recipient system titles (flipping them changes the key looked up)."""
    message = Message.decode(raw)
    start = 0 if message.mac is None else len(raw) - 12 - len(message.grouping.encode())
    return range(start + 12, start + 30)


def test_flipped_bits_never_verify(rtds, keystore):
    rng = random.Random(4)
    checked = 0
    for name, raw in sorted(rtds.items())[::3]:
        original = verify(raw, keystore)
        if VALID not in (original.signature, original.mac):
            continue
        titles = _title_span(raw)
        for _ in range(SAMPLES_PER_FILE):
            pos = rng.randrange(len(raw))
            flipped = bytearray(raw)
            flipped[pos] ^= 1 << rng.randrange(8)
            try:
                result = verify(bytes(flipped), keystore)
            except InputError:
                continue
            statuses = (result.signature, result.mac)
            allowed = (INVALID, UNVERIFIABLE) if pos in titles else (INVALID,)
            assert any(s in allowed for s in statuses), (name, pos, statuses)
            checked += 1
    assert checked > 100
