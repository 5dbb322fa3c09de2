"""General-block-transfer (GBT): split a long GBCS message into blocks and reassemble them (gbcs.md 1.7).

Each block is a general-ciphering APDU whose header carries the routing fields (CRA, counter, originator,
recipient, message code), then the security header and a GBT APDU: ``E0``, block-control (bit 7 last block,
bit 6 streaming, bits 0-5 window), block-number (2), block-number-ack (2), BER length + block data.
The block data concatenated in block-number order (from 1) is the complete message. Blocks carry no MAC of their
own [I: gbcs-parser-js]; the reassembled message keeps its MAC.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.gbcs.apdu import CRA_NAMES, GENERAL_CIPHERING, SC_AUTHENTICATED, Message
from harness.gbcs.ber import Reader, encode_length
from harness.gbcs.errors import GbtError

GBT_TAG = 0xE0
LAST_BLOCK, STREAMING = 0x80, 0x40


@dataclass(frozen=True)
class GbtBlock:
    cra: int
    counter: int
    originator: bytes
    recipient: bytes
    message_code: int
    block_number: int
    data: bytes
    last: bool = False
    streaming: bool = False
    window: int = 1
    ack: int = 0

    def __post_init__(self) -> None:
        if self.cra not in CRA_NAMES or len(self.originator) != 8 or len(self.recipient) != 8:
            raise ValueError("bad routing header")
        if not 1 <= self.block_number <= 0xFFFF or not 0 <= self.ack <= 0xFFFF or not 0 <= self.window <= 0x3F:
            raise ValueError("block number, ack or window out of range")

    def routing(self) -> tuple:
        return self.cra, self.counter, self.originator, self.recipient, self.message_code

    def encode(self) -> bytes:
        control = (LAST_BLOCK if self.last else 0) | (STREAMING if self.streaming else 0) | self.window
        gbt = (bytes([GBT_TAG, control]) + self.block_number.to_bytes(2, "big") + self.ack.to_bytes(2, "big")
               + encode_length(len(self.data)) + self.data)
        ciphered = bytes([SC_AUTHENTICATED, 0, 0, 0, 0]) + gbt
        return (bytes([GENERAL_CIPHERING, 9, self.cra]) + self.counter.to_bytes(8, "big") + b"\x08" + self.originator
                + b"\x08" + self.recipient + b"\x00\x02" + self.message_code.to_bytes(2, "big") + b"\x00"
                + encode_length(len(ciphered)) + ciphered)

    @classmethod
    def decode(cls, data: bytes) -> GbtBlock:
        r = Reader(data, 0, GbtError)
        if r.u8("gbt.tag") != GENERAL_CIPHERING:
            raise GbtError("a GBT block starts with 0xDD", field="gbt.tag", offset=0)
        if r.length("gbt.transaction_id") != 9:
            raise r.fail("gbt.transaction_id", "length must be 9", r.offset - 1)
        cra = r.u8("gbt.cra")
        if cra not in CRA_NAMES:
            raise r.fail("gbt.cra", f"0x{cra:02X} is not 01, 02 or 03", r.offset - 1)
        counter = r.uint(8, "gbt.counter")
        titles = []
        for name in ("originator_system_title", "recipient_system_title"):
            if r.length(f"gbt.{name}") != 8:
                raise r.fail(f"gbt.{name}", "must be 8 bytes", r.offset - 1)
            titles.append(r.take(8, f"gbt.{name}"))
        if r.length("gbt.date_time") != 0:
            raise r.fail("gbt.date_time", "must be empty", r.offset - 1)
        if r.length("gbt.other_information") != 2:
            raise r.fail("gbt.other_information", "must hold the 2-byte message code", r.offset - 1)
        code = r.uint(2, "gbt.message_code")
        if r.u8("gbt.key_info") != 0:
            raise r.fail("gbt.key_info", "must be absent (00)", r.offset - 1)
        ciphered = r.lv("gbt.ciphered_length")
        r.expect_end("gbt.ciphered_length")
        c = Reader(ciphered, len(data) - len(ciphered), GbtError)
        if c.take(5, "gbt.security_header") != bytes([SC_AUTHENTICATED, 0, 0, 0, 0]):
            raise c.fail("gbt.security_header", "must be 11 00000000", c.offset - 5)
        if c.u8("gbt.apdu") != GBT_TAG:
            raise c.fail("gbt.apdu", "expected general-block-transfer tag 0xE0", c.offset - 1)
        control = c.u8("gbt.block_control")
        number_at = c.offset
        number, ack = c.uint(2, "gbt.block_number"), c.uint(2, "gbt.block_number_ack")
        if number == 0:
            raise GbtError("block numbers start at 1", field="gbt.block_number", offset=number_at)
        body = c.lv("gbt.block_data")
        c.expect_end("gbt.block_data")
        return cls(cra, counter, titles[0], titles[1], code, number, body, bool(control & LAST_BLOCK),
                   bool(control & STREAMING), control & 0x3F, ack)


def split(message: bytes, block_size: int, window: int = 1) -> list[GbtBlock]:
    """Split an encoded message into GBT blocks of at most ``block_size`` data bytes."""
    if block_size < 1:
        raise ValueError("block_size must be positive")
    h = Message.decode(message).grouping
    chunks = [message[i:i + block_size] for i in range(0, len(message), block_size)]
    if len(chunks) > 0xFFFF:
        raise ValueError("too many blocks")
    return [GbtBlock(h.cra, h.counter, h.originator, h.recipient, h.message_code, n, chunk,
                     last=n == len(chunks), window=window) for n, chunk in enumerate(chunks, 1)]


class Reassembler:
    """Collects blocks of one message (any order, duplicates tolerated when identical)."""

    def __init__(self) -> None:
        self.blocks: dict[int, GbtBlock] = {}
        self.last: int | None = None

    def add(self, block: GbtBlock | bytes) -> None:
        if not isinstance(block, GbtBlock):
            block = GbtBlock.decode(block)
        if self.blocks and block.routing() != next(iter(self.blocks.values())).routing():
            raise GbtError("block belongs to another message (routing header differs)", field="gbt.routing")
        seen = self.blocks.get(block.block_number)
        if seen is not None and seen != block:
            raise GbtError(f"block {block.block_number} received twice with different data", field="gbt.block_number")
        if block.last:
            if self.last is not None and self.last != block.block_number:
                raise GbtError("two different last blocks", field="gbt.block_control")
            self.last = block.block_number
        if self.last is not None and max(self.blocks.keys() | {block.block_number}) > self.last:
            raise GbtError("block numbered after the last block", field="gbt.block_number")
        self.blocks[block.block_number] = block

    def missing(self) -> list[int]:
        """Block numbers still needed (up to the highest seen, or to the last block once known)."""
        top = self.last if self.last is not None else max(self.blocks, default=0)
        return [n for n in range(1, top + 1) if n not in self.blocks]

    @property
    def complete(self) -> bool:
        return self.last is not None and not self.missing()

    def message(self) -> bytes:
        """The reassembled message; raises GbtError naming missing blocks when incomplete."""
        if self.last is None:
            raise GbtError("last block not received", field="gbt.block_control")
        gaps = self.missing()
        if gaps:
            raise GbtError(f"missing blocks {gaps}", field="gbt.block_number")
        return b"".join(self.blocks[n].data for n in range(1, self.last + 1))


def reassemble(blocks: list[GbtBlock | bytes]) -> bytes:
    r = Reassembler()
    for block in blocks:
        r.add(block)
    return r.message()
