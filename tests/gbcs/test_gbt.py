"""GBT split and reassembly, including missing, duplicate and foreign blocks."""
from __future__ import annotations

import random

import pytest

from harness.gbcs.apdu import CRA_COMMAND, GroupingHeader, Message, OtherInfo
from harness.gbcs.errors import GbtError
from harness.gbcs.gbt import GbtBlock, Reassembler, reassemble, split

MESSAGE = Message(GroupingHeader(CRA_COMMAND, 0x3E8, bytes.fromhex("90B3D51F30010000"),
                                 bytes.fromhex("00DB1234567890A0"), None, OtherInfo(0x0019),
                                 bytes(range(256)) * 3, b""), bytes(12)).encode()


def test_split_and_reassemble_in_any_order():
    blocks = split(MESSAGE, 100)
    assert len(blocks) == -(-len(MESSAGE) // 100) and blocks[-1].last and not blocks[0].last
    wire = [b.encode() for b in blocks]
    assert [GbtBlock.decode(w) for w in wire] == blocks
    random.Random(1).shuffle(wire)
    assert reassemble(wire) == MESSAGE


def test_missing_block_is_named():
    blocks = split(MESSAGE, 100)
    r = Reassembler()
    for b in blocks[:3] + blocks[4:]:
        r.add(b)
    assert r.missing() == [4] and not r.complete
    with pytest.raises(GbtError, match=r"missing blocks \[4\]"):
        r.message()
    r.add(blocks[3])
    assert r.complete and r.message() == MESSAGE


def test_last_block_missing():
    with pytest.raises(GbtError, match="last block"):
        reassemble(split(MESSAGE, 100)[:-1])


def test_conflicting_blocks_are_refused():
    blocks = split(MESSAGE, 100)
    other = split(MESSAGE.replace(bytes.fromhex("03E8"), bytes.fromhex("03E9"), 1), 100)
    r = Reassembler()
    r.add(blocks[0])
    with pytest.raises(GbtError):
        r.add(other[1])
    r.add(blocks[0])  # an identical duplicate is harmless
    changed = GbtBlock(**{**blocks[0].__dict__, "data": b"x" + blocks[0].data[1:]})
    with pytest.raises(GbtError):
        r.add(changed)


@pytest.mark.parametrize("cut", [1, 5, 20, 30, 36, 40])
def test_truncated_block_raises_typed_error(cut):
    wire = split(MESSAGE, 100)[0].encode()
    with pytest.raises(GbtError):
        GbtBlock.decode(wire[:cut])


def test_gbt_block_is_not_a_message():
    with pytest.raises(Exception) as err:
        Message.decode(split(MESSAGE, 100)[0].encode())
    assert "block" in str(err.value)
