"""GBT carriage of long GBCS messages through a tunnel: a message longer than one transfer travels as several
blocks and comes out whole; a lost block leaves it incomplete (and says which block is missing)."""
from __future__ import annotations

from emulators.tunnel_carriage import Inbound, is_block, routing_of, units
from harness.gbcs.apdu import CRA_COMMAND, GroupingHeader, Message, OtherInfo

DEVICE = bytes.fromhex("00DB1234567890A0")
SUPPLIER = bytes.fromhex("90B3D51F30010000")


def long_message(size: int) -> bytes:
    content = bytes(range(256)) * (size // 256)
    header = GroupingHeader(CRA_COMMAND, 0x3E8, SUPPLIER, DEVICE, None, OtherInfo(0x0019), content, signature=b"")
    return Message(header).encode()


def test_a_message_that_fits_travels_whole():
    message = long_message(512)
    assert units(message, 1500) == [message]
    assert Inbound().add(message) == message
    assert routing_of(message) == (DEVICE, 0x0019)
    assert routing_of(b"\x00junk") == (None, None)


def test_a_long_message_travels_as_several_gbt_blocks_and_comes_out_whole():
    message = long_message(4096)
    parts = units(message, 1500)
    assert len(parts) == 3 and all(is_block(p) and len(p) <= 1500 for p in parts)
    inbound = Inbound()
    assert [inbound.add(p) for p in parts[:-1]] == [None, None]
    assert inbound.add(parts[-1]) == message
    # out of order too
    inbound = Inbound()
    assert inbound.add(parts[2]) is None and inbound.add(parts[0]) is None
    assert inbound.add(parts[1]) == message


def test_a_lost_block_leaves_the_message_incomplete():
    message = long_message(4096)
    parts = units(message, 1500)
    inbound = Inbound()
    assert inbound.add(parts[0]) is None and inbound.add(parts[2]) is None
    assert list(inbound.missing().values()) == [[2]]
    assert inbound.add(parts[2][:-1] + bytes([parts[2][-1] ^ 1])) is None  # a different copy of a held block
    assert inbound.errors
