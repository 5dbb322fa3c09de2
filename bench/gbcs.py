"""GBCS codec benchmark: decode+verify throughput over the visible RTDS, then a longer hypothesis fuzz run.

Run: ``.venv/bin/python bench/gbcs.py [--rounds N] [--fuzz-examples N]``. Prints figures only.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.errors import InputError  # noqa: E402
from harness.gbcs.apdu import Message  # noqa: E402
from harness.gbcs.keystore import DirectoryKeyStore  # noqa: E402
from harness.gbcs.verify import verify  # noqa: E402
from harness.shared import shared_path  # noqa: E402


def throughput(messages: list[bytes], keys: DirectoryKeyStore, rounds: int) -> None:
    start = time.perf_counter()
    for _ in range(rounds):
        for raw in messages:
            Message.decode(raw)
    decode_rate = rounds * len(messages) / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(rounds):
        for raw in messages:
            verify(raw, keys)
    verify_rate = rounds * len(messages) / (time.perf_counter() - start)
    print(f"messages: {len(messages)} x {rounds} rounds")
    print(f"framing decode: {decode_rate:,.0f} msg/s")
    print(f"decode + payload + signature + MAC + decryption: {verify_rate:,.0f} msg/s "
          f"(ratio {decode_rate / verify_rate:.1f}x)")


def fuzz(messages: list[bytes], keys: DirectoryKeyStore, examples: int) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    outcomes = {"typed error": 0, "decoded": 0}

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data: st.DataObject) -> None:
        raw = bytearray(data.draw(st.sampled_from(messages)))
        for _ in range(data.draw(st.integers(1, 6))):
            pos = data.draw(st.integers(0, len(raw)))
            choice = data.draw(st.integers(0, 3))
            if choice == 0 and pos < len(raw):
                raw[pos] ^= 1 << data.draw(st.integers(0, 7))
            elif choice == 1:
                del raw[pos:]
            elif choice == 2:
                raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
            elif pos < len(raw):
                raw[pos] = data.draw(st.integers(0, 255))
        try:
            result = verify(bytes(raw), keys)
            if result.payload:
                result.payload.to_json()
            outcomes["decoded"] += 1
        except InputError:
            outcomes["typed error"] += 1

    start = time.perf_counter()
    run()
    print(f"fuzz: {examples} examples in {time.perf_counter() - start:.1f} s, outcomes {outcomes}, "
          "no untyped exception")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fuzz-examples", type=int, default=5000)
    args = parser.parse_args()
    root, keystore = shared_path("rtds", "RTDS-4.5.0"), shared_path("rtds", "keystore")
    if root is None or keystore is None:
        print("shared RTDS material is absent; nothing to measure")
        return
    messages = [bytes.fromhex("".join(p.read_text().split())) for p in sorted(root.rglob("*.HEX"))]
    random.Random(0).shuffle(messages)
    keys = DirectoryKeyStore(keystore)
    throughput(messages, keys, args.rounds)
    fuzz(messages, keys, args.fuzz_examples)


if __name__ == "__main__":
    main()
