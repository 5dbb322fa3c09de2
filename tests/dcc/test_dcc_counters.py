"""Persisted counters: strictly increasing, on disk before use, continue after reopening, corrupt file refused."""
from __future__ import annotations

import json
import multiprocessing

import pytest

from harness.dcc.counters import MAX_COUNTER, CounterStore
from harness.dcc.errors import CounterStoreError
from harness.errors import BenchFault

A = bytes.fromhex("90B3D51F30010000")
B = bytes.fromhex("90B3D51F30020000")


def test_strictly_increasing_per_originator(tmp_path):
    store = CounterStore(tmp_path / "c.json")
    assert [store.reserve(A) for _ in range(3)] == [1, 2, 3]  # 0 is never issued
    assert store.reserve(B) == 1
    assert store.reserve(A, at_least=0x3E8) == 0x3E8
    assert store.reserve(A, align=1 << 32) == 1 << 32
    assert store.reserve(A) == (1 << 32) + 1
    assert store.reserve(A, align=1 << 32) == 2 << 32
    assert store.last_issued(A) == 2 << 32 and store.last_issued(bytes(8)) is None


def test_counter_is_on_disk_before_it_is_returned(tmp_path):
    path = tmp_path / "c.json"
    store = CounterStore(path)
    counter = store.reserve(A, at_least=41)
    assert json.loads(path.read_text())["issued"][A.hex()] == f"{counter:016X}"
    assert not (tmp_path / "c.json.tmp").exists()


def test_reopen_continues_above_the_last_value(tmp_path):
    path = tmp_path / "c.json"
    first = CounterStore(path)
    used = {first.reserve(A) for _ in range(5)}
    second = CounterStore(path)
    after_reopen = second.reserve(A)
    assert after_reopen > max(used)
    # two handles on the same file never hand out the same counter
    assert first.reserve(A) > after_reopen


def _take(path: str, n: int, queue) -> None:
    store = CounterStore(path)
    queue.put([store.reserve(A) for _ in range(n)])


def test_concurrent_processes_never_share_a_counter(tmp_path):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_take, args=(str(tmp_path / "c.json"), 20, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    taken = queue.get(timeout=30) + queue.get(timeout=30)
    for p in procs:
        p.join(timeout=30)
    assert len(set(taken)) == 40


def test_accept_requires_increase_and_persists(tmp_path):
    path = tmp_path / "c.json"
    store = CounterStore(path)
    assert store.accept(A, 0x7D1)
    assert not store.accept(A, 0x7D1)
    assert not store.accept(A, 0x7D0)
    assert store.accept(B, 1)
    assert not CounterStore(path).accept(A, 0x7D1)
    assert CounterStore(path).accept(A, 0x7D2)


@pytest.mark.parametrize("text", ["{", "[]", '{"issued": {"90b3d51f30010000": "zz"}}',
                                  '{"issued": {"90b3": "01"}}', '{"issued": {"90b3d51f30010000": "-1"}}'])
def test_corrupt_file_is_refused(tmp_path, text):
    path = tmp_path / "c.json"
    path.write_text(text)
    with pytest.raises(CounterStoreError) as info:
        CounterStore(path)
    assert isinstance(info.value, BenchFault)


def test_exhausted_counters(tmp_path):
    store = CounterStore(tmp_path / "c.json")
    assert store.reserve(A, at_least=MAX_COUNTER) == MAX_COUNTER
    with pytest.raises(CounterStoreError):
        store.reserve(A)
    assert store.last_issued(A) == MAX_COUNTER
