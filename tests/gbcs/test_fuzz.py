"""Mutated RTDS messages must end in a result or a typed InputError, never another exception."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.gbcs.gbt import GbtBlock, reassemble
from harness.gbcs.verify import verify


def _mutate(raw: bytes, data: st.DataObject) -> bytes:
    out = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        pos = data.draw(st.integers(0, max(len(out) - 1, 0)))
        if op == "flip" and out:
            out[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "set" and out:
            out[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del out[pos:]
        elif op == "insert":
            out[pos:pos] = data.draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and out:
            del out[pos]
    return bytes(out)


def check(raw: bytes, keystore) -> None:
    try:
        result = verify(raw, keystore)
    except InputError:
        return
    result.payload and result.payload.to_json()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_rtds_messages_end_in_typed_errors(rtds, keystore, data):
    name = data.draw(st.sampled_from(sorted(rtds)))
    check(_mutate(rtds[name], data), keystore)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=64))
def test_random_bytes_end_in_typed_errors(raw):
    from harness.gbcs.keystore import MemoryKeyStore

    for prefix in (b"", b"\xdf\x09", b"\xdd\x00\x00\x00\x00\x00\x00"):
        check(prefix + raw, MemoryKeyStore())
    try:
        reassemble([GbtBlock.decode(b"\xdd" + raw)])
    except InputError:
        pass
