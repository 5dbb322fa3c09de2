"""GBCS ASN.1 DER payloads as a lossless tree of TLVs (tags of any length, definite lengths)."""
from __future__ import annotations

from dataclasses import dataclass

from harness.gbcs.ber import Reader, encode_length
from harness.gbcs.errors import PayloadError

MAX_DEPTH = 32
UNIVERSAL_NAMES = {0x01: "BOOLEAN", 0x02: "INTEGER", 0x03: "BIT STRING", 0x04: "OCTET STRING", 0x05: "NULL",
                   0x06: "OBJECT IDENTIFIER", 0x0A: "ENUMERATED", 0x0C: "UTF8String", 0x13: "PrintableString",
                   0x17: "UTCTime", 0x18: "GeneralizedTime", 0x30: "SEQUENCE", 0x31: "SET"}


@dataclass
class Tlv:
    """One DER element: ``children`` for constructed tags, ``value`` for primitive ones."""

    tag: bytes
    value: bytes | None = None
    children: list[Tlv] | None = None
    length_octets: bytes | None = None  # the raw length encoding, kept only when it is not minimal

    @property
    def constructed(self) -> bool:
        return bool(self.tag[0] & 0x20)

    def encode(self) -> bytes:
        body = b"".join(c.encode() for c in self.children) if self.children is not None else self.value or b""
        length = encode_length(len(body))
        kept = self.length_octets
        if kept is not None and len(kept) > 1 and int.from_bytes(kept[1:], "big") == len(body):
            length = kept
        return self.tag + length + body

    def to_json(self) -> dict:
        out: dict = {"tag": self.tag.hex().upper()}
        if self.tag[0] in UNIVERSAL_NAMES and len(self.tag) == 1:
            out["type"] = UNIVERSAL_NAMES[self.tag[0]]
        if self.children is not None:
            out["children"] = [c.to_json() for c in self.children]
        else:
            out["value"] = (self.value or b"").hex().upper()
            if self.tag == b"\x02" and self.value:
                out["int"] = int.from_bytes(self.value, "big", signed=True)
            elif self.tag in (b"\x18", b"\x17") and (self.value or b"").isascii():
                out["text"] = (self.value or b"").decode("ascii")
        return out


def _tag(r: Reader) -> bytes:
    start = r.pos
    first = r.u8("asn1.tag")
    if first & 0x1F == 0x1F:
        while True:
            if r.pos - start > 4:
                raise r.fail("asn1.tag", "tag number too long")
            if not r.u8("asn1.tag") & 0x80:
                break
    return r.data[start:r.pos]


def _decode(r: Reader, depth: int) -> Tlv:
    if depth > MAX_DEPTH:
        raise r.fail("asn1", f"nesting deeper than {MAX_DEPTH}")
    tag = _tag(r)
    n, length = r.length_raw("asn1.length")
    body = r.take(n, "asn1.value")
    value_at = r.offset - len(body)
    kept = None if encode_length(n) == length else length
    if not tag[0] & 0x20:
        return Tlv(tag, body, length_octets=kept)
    inner = Reader(body, value_at, PayloadError)
    children = []
    while not inner.at_end():
        children.append(_decode(inner, depth + 1))
    return Tlv(tag, children=children, length_octets=kept)


def decode(data: bytes, offset: int = 0) -> list[Tlv]:
    """Every top-level TLV in ``data`` (a GBCS ASN.1 payload is normally one)."""
    r = Reader(data, offset, PayloadError)
    out = []
    while not r.at_end():
        out.append(_decode(r, 0))
    if not out:
        raise PayloadError("empty ASN.1 payload", field="asn1", offset=offset)
    return out


@dataclass
class Asn1Payload:
    elements: list[Tlv]

    family = "asn1"

    @classmethod
    def decode(cls, data: bytes, offset: int = 0) -> Asn1Payload:
        return cls(decode(data, offset))

    def encode(self) -> bytes:
        return b"".join(e.encode() for e in self.elements)

    def to_json(self) -> dict:
        return {"elements": [e.to_json() for e in self.elements]}
