"""Mutated responses and alerts end in a typed rejection (or, for an untouched message, acceptance), never a crash."""
from __future__ import annotations

from dcc_fixtures import ESME, SUPPLIER
from hypothesis import HealthCheck, given, settings, strategies as st

from harness.dcc.core import DccCore
from harness.dcc.counters import CounterStore
from harness.dcc.errors import Reason, Rejected

CS11 = bytes.fromhex("0109010107090004 01000103")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutations_end_in_typed_rejections(bench_keys, esme, tmp_path_factory, data):
    core = DccCore(bench_keys, CounterStore(tmp_path_factory.mktemp("fuzz") / "c.json"))
    critical = data.draw(st.booleans())
    sent = core.command(SUPPLIER, ESME, 0x0062 if critical else 0x0015, CS11, critical=critical)
    original = data.draw(st.sampled_from([esme.respond(sent.header, critical=critical),
                                          esme.alert(0x7D1, SUPPLIER, critical=critical)]))
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        index = data.draw(st.integers(0, max(len(mutated) - 1, 0)))
        if action == "flip" and mutated:
            mutated[index] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "cut":
            del mutated[index:index + data.draw(st.integers(1, 8))]
        else:
            mutated[index:index] = data.draw(st.binary(min_size=1, max_size=4))
    try:
        core.receive(bytes(mutated))
    except Rejected as exc:
        assert isinstance(exc.reason, Reason)
    else:
        assert bytes(mutated) == original, "only the untouched message may be accepted"
