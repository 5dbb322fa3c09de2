"""GBCS message framing: MAC header (general-ciphering), grouping header (general-signing), signature, MAC.

Layout and field meanings: gbcs.md sections 1.2 to 1.5. ``GroupingHeader.signature`` is ``None`` when the
signature field is absent (a pre-command), ``b""`` for the null ``00`` field and 64 bytes (r||s) when signed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from harness.gbcs.ber import Reader, encode_length
from harness.gbcs.errors import FramingError

GENERAL_CIPHERING = 0xDD
GENERAL_SIGNING = 0xDF
CRA_COMMAND, CRA_RESPONSE, CRA_ALERT = 1, 2, 3
CRA_NAMES = {CRA_COMMAND: "command", CRA_RESPONSE: "response", CRA_ALERT: "alert"}
SC_AUTHENTICATED = 0x11
MAC_LENGTH = 12
SIGNATURE_LENGTH = 64
EUI_LENGTH = 8
# general-ciphering: five empty octet-strings then key-info absent
CIPHERING_PREFIX = bytes([GENERAL_CIPHERING, 0, 0, 0, 0, 0, 0])


def _eui(value: bytes, name: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != EUI_LENGTH:
        raise ValueError(f"{name} must be 8 bytes")
    return bytes(value)


@dataclass(frozen=True)
class OtherInfo:
    """The other-information field: message code plus the optional supplementary fields (gbcs.md 1.4).

    Lengths: 2 (code), 10 (+ supplementary remote party id), 18 (+ its counter), 26 (+ supplementary originator
    counter) or more than 26 (+ the DER KA certificate of the supplementary remote party).
    """

    message_code: int
    supplementary_remote_party_id: bytes | None = None
    supplementary_remote_party_counter: int | None = None
    supplementary_originator_counter: int | None = None
    ka_certificate: bytes | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.message_code <= 0xFFFF:
            raise ValueError("message_code must fit in 2 bytes")
        chain = [self.supplementary_remote_party_id, self.supplementary_remote_party_counter,
                 self.supplementary_originator_counter if self.ka_certificate is None else self.ka_certificate]
        seen_absent = False
        for item in chain:
            if item is None:
                seen_absent = True
            elif seen_absent:
                raise ValueError("supplementary fields must be given in order without gaps")
        if self.ka_certificate is not None and self.supplementary_originator_counter is not None:
            raise ValueError("other-information carries either a supplementary originator counter or a certificate")
        if self.supplementary_remote_party_id is not None:
            _eui(self.supplementary_remote_party_id, "supplementary_remote_party_id")
        if self.ka_certificate is not None and len(self.ka_certificate) == 0:
            raise ValueError("ka_certificate must not be empty")

    def encode(self) -> bytes:
        out = self.message_code.to_bytes(2, "big")
        if self.supplementary_remote_party_id is not None:
            out += self.supplementary_remote_party_id
        if self.supplementary_remote_party_counter is not None:
            out += self.supplementary_remote_party_counter.to_bytes(8, "big")
        if self.supplementary_originator_counter is not None:
            out += self.supplementary_originator_counter.to_bytes(8, "big")
        if self.ka_certificate is not None:
            out += self.ka_certificate
        return out

    @classmethod
    def decode(cls, data: bytes, offset: int = 0) -> OtherInfo:
        n = len(data)
        if n < 2 or n in range(3, 10) or n in range(11, 18) or n in range(19, 26):
            raise FramingError(f"length {n} is not 2, 10, 18, 26 or more", field="other_information", offset=offset)
        r = Reader(data, offset, FramingError)
        code = r.uint(2, "other_information.message_code")
        supp_id = r.take(8, "other_information.supplementary_remote_party_id") if n >= 10 else None
        supp_ctr = r.uint(8, "other_information.supplementary_remote_party_counter") if n >= 18 else None
        orig_ctr = r.uint(8, "other_information.supplementary_originator_counter") if n == 26 else None
        cert = r.rest() if n > 26 else None
        return cls(code, supp_id, supp_ctr, orig_ctr, cert)


@dataclass(frozen=True)
class GroupingHeader:
    """A general-signing APDU: transaction id, system titles, date-time, other-information, content, signature."""

    cra: int
    counter: int
    originator: bytes
    recipient: bytes
    date_time: bytes | None
    other_info: OtherInfo
    payload: bytes
    signature: bytes | None = b""

    def __post_init__(self) -> None:
        if self.cra not in CRA_NAMES:
            raise ValueError("cra must be 1 (command), 2 (response) or 3 (alert)")
        if not 0 <= self.counter < 1 << 64:
            raise ValueError("counter must be an unsigned 64-bit integer")
        _eui(self.originator, "originator")
        _eui(self.recipient, "recipient")
        if self.signature is not None and len(self.signature) not in (0, SIGNATURE_LENGTH):
            raise ValueError("signature must be None (absent), b'' (null) or 64 bytes")

    @property
    def message_code(self) -> int:
        return self.other_info.message_code

    @property
    def transaction_id(self) -> bytes:
        return bytes([self.cra]) + self.counter.to_bytes(8, "big")

    def signed_span(self) -> bytes:
        """The bytes the signature covers: from after the DF tag to the last content byte."""
        dt = b"\x00" if self.date_time is None else encode_length(len(self.date_time)) + self.date_time
        oi = self.other_info.encode()
        return (b"\x09" + self.transaction_id + b"\x08" + self.originator + b"\x08" + self.recipient + dt
                + encode_length(len(oi)) + oi + encode_length(len(self.payload)) + self.payload)

    def signature_field(self) -> bytes:
        if self.signature is None:
            return b""
        return encode_length(len(self.signature)) + self.signature

    def encode(self) -> bytes:
        return bytes([GENERAL_SIGNING]) + self.signed_span() + self.signature_field()

    def precommand(self) -> GroupingHeader:
        """This header with its signature field removed (what a remote party signs)."""
        return replace(self, signature=None)

    def with_signature(self, signature: bytes | None) -> GroupingHeader:
        return replace(self, signature=signature)

    @classmethod
    def decode(cls, data: bytes, offset: int = 0) -> GroupingHeader:
        """Decode a complete general-signing APDU (nothing may follow the signature field)."""
        header, end = cls.decode_prefix(data, offset)
        if end != len(data):
            raise FramingError(f"{len(data) - end} bytes after the signature field", field="signature",
                               offset=offset + end)
        return header

    @classmethod
    def decode_prefix(cls, data: bytes, offset: int = 0) -> tuple[GroupingHeader, int]:
        """Decode a general-signing APDU at the start of ``data``; return it and the index just past it.

        The signature field is taken as absent only when ``data`` ends right after the content.
        """
        r = Reader(data, offset, FramingError)
        if r.u8("grouping_header.tag") != GENERAL_SIGNING:
            raise FramingError("expected general-signing tag 0xDF", field="grouping_header.tag", offset=offset)
        if r.length("transaction_id") != 9:
            raise r.fail("transaction_id", "length must be 9", r.offset - 1)
        cra_at = r.offset
        cra = r.u8("transaction_id.cra")
        if cra not in CRA_NAMES:
            raise FramingError(f"CRA flag 0x{cra:02X} is not 01, 02 or 03", field="transaction_id.cra", offset=cra_at)
        counter = r.uint(8, "transaction_id.counter")
        originator = cls._title(r, "originator_system_title")
        recipient = cls._title(r, "recipient_system_title")
        dt_len = r.length("date_time")
        date_time = r.take(dt_len, "date_time") if dt_len else None
        oi_len = r.length("other_information")
        oi_at = r.offset
        other_info = OtherInfo.decode(r.take(oi_len, "other_information"), oi_at)
        payload = r.lv("content")
        signature: bytes | None
        if r.at_end():
            signature = None
        else:
            sig_at = r.offset
            sig_len = r.length("signature")
            if sig_len not in (0, SIGNATURE_LENGTH):
                raise FramingError(f"length {sig_len} is neither 0 nor 64", field="signature", offset=sig_at)
            signature = r.take(sig_len, "signature")
        return cls(cra, counter, originator, recipient, date_time, other_info, payload, signature), r.pos

    @staticmethod
    def _title(r: Reader, name: str) -> bytes:
        at = r.offset
        if r.length(name) != EUI_LENGTH:
            raise FramingError("system title must be 8 bytes", field=name, offset=at)
        return r.take(EUI_LENGTH, name)


@dataclass(frozen=True)
class Message:
    """A complete GBCS message: a grouping header, MAC-protected (``mac`` set) or bare (``mac`` None)."""

    grouping: GroupingHeader
    mac: bytes | None = None
    security_control: int = SC_AUTHENTICATED
    invocation_counter: int = 0

    def __post_init__(self) -> None:
        if self.mac is not None and len(self.mac) != MAC_LENGTH:
            raise ValueError("mac must be 12 bytes")
        if not 0 <= self.security_control <= 0xFF or not 0 <= self.invocation_counter < 1 << 32:
            raise ValueError("security header out of range")

    @property
    def kind(self) -> str:
        """command, response, alert or precommand (a bare DF with no signature field)."""
        if self.mac is None and self.grouping.signature is None:
            return "precommand"
        return CRA_NAMES[self.grouping.cra]

    @property
    def security_header(self) -> bytes:
        return bytes([self.security_control]) + self.invocation_counter.to_bytes(4, "big")

    def mac_aad(self) -> bytes:
        """The additional authenticated data of the MAC: security header, one zero byte, the grouping header."""
        return self.security_header + b"\x00" + self.grouping.encode()

    def encode(self) -> bytes:
        gh = self.grouping.encode()
        if self.mac is None:
            return gh
        ciphered = self.security_header + gh + self.mac
        return CIPHERING_PREFIX + encode_length(len(ciphered)) + ciphered

    @classmethod
    def decode(cls, data: bytes) -> Message:
        """Decode one message (a GBT block raises: reassemble blocks with ``harness.gbcs.gbt`` first)."""
        data = bytes(data)
        if not data:
            raise FramingError("empty message", field="tag", offset=0)
        tag = data[0]
        if tag == GENERAL_SIGNING:
            return cls(GroupingHeader.decode(data))
        if tag != GENERAL_CIPHERING:
            raise FramingError(f"tag 0x{tag:02X} is neither 0xDD nor 0xDF", field="tag", offset=0)
        r = Reader(data, 0, FramingError)
        r.u8("tag")
        if len(data) > 1 and data[1] != 0:
            raise FramingError("general-block-transfer block: reassemble the blocks first",
                               field="transaction_id", offset=1)
        for name in ("transaction_id", "originator_system_title", "recipient_system_title", "date_time",
                     "other_information", "key_info"):
            at = r.offset
            if r.u8(f"mac_header.{name}") != 0:
                raise FramingError("must be empty in a GBCS MAC header", field=f"mac_header.{name}", offset=at)
        length_at = r.offset
        ciphered = r.lv("mac_header.ciphered_length")
        r.expect_end("mac_header.ciphered_length")
        base = r.offset - len(ciphered)
        if len(ciphered) < 5 + 1 + MAC_LENGTH:
            raise FramingError(f"ciphered service of {len(ciphered)} bytes is too short",
                               field="mac_header.ciphered_length", offset=length_at)
        sc = ciphered[0]
        if sc != SC_AUTHENTICATED:
            raise FramingError(f"security control 0x{sc:02X} is not 0x11", field="security_control", offset=base)
        ic = int.from_bytes(ciphered[1:5], "big")
        grouping = GroupingHeader.decode(ciphered[5:-MAC_LENGTH], base + 5)
        if grouping.signature is None:
            raise FramingError("a MAC'd message needs a signature field", field="signature",
                               offset=base + len(ciphered) - MAC_LENGTH)
        return cls(grouping, ciphered[-MAC_LENGTH:], sc, ic)
