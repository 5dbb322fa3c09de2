"""Payload family dispatch (GBZ, DLMS, ASN.1) and section-8 decryption of encrypted content."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from harness.gbcs import security
from harness.gbcs.apdu import CRA_ALERT, GroupingHeader
from harness.gbcs.asn1 import Asn1Payload
from harness.gbcs.crypto import ENCRYPTION_HEADER, TAG_LENGTH, DecryptionFailed
from harness.gbcs.ber import Reader
from harness.gbcs.dlms import ACCESS_REQUEST, ACCESS_RESPONSE, DATA_NOTIFICATION, DlmsPayload, read_data
from harness.gbcs.errors import GbcsError, PayloadError
from harness.gbcs.gbz import PROFILE, GbzPayload

Body = GbzPayload | DlmsPayload | Asn1Payload
DLMS_TAGS = (ACCESS_REQUEST, ACCESS_RESPONSE, DATA_NOTIFICATION)


def family_of(payload: bytes) -> str:
    """gbz (starts 0109), dlms (D9, DA, 0F) or asn1 (anything else, checked when decoded)."""
    if payload[:2] == PROFILE:
        return "gbz"
    if payload and payload[0] in DLMS_TAGS:
        return "dlms"
    return "asn1"


def decode_body(header: GroupingHeader) -> Body:
    """Decode the content of a grouping header into its family's structure."""
    payload = header.payload
    family = family_of(payload)
    if family == "gbz":
        return GbzPayload.decode(payload, alert=header.cra == CRA_ALERT, message_code=header.message_code)
    if family == "dlms":
        return DlmsPayload.decode(payload)
    return Asn1Payload.decode(payload)


def encrypted_blocks(body: Body) -> list[tuple[str, bytes]]:
    """(location, ``31 00000000 || ct || tag``) for every encrypted block in the payload."""
    if isinstance(body, GbzPayload):
        return [(f"components[{i}]", c.ciphered or b"") for i, c in enumerate(body.components) if c.encrypted]
    if isinstance(body, DlmsPayload) and body.apdu in (ACCESS_RESPONSE, DATA_NOTIFICATION):  # responses, alerts
        return [(f"octet_string[{i}]", bytes(d.value)) for i, d in enumerate(body.octet_strings())  # type: ignore
                if len(d.value) >= 5 + TAG_LENGTH and bytes(d.value[:5]) == ENCRYPTION_HEADER]  # type: ignore
    return []


@dataclass
class Payload:
    """A decoded payload, with the plaintext of its encrypted blocks when the key was available.

    ``decryption``: absent (nothing encrypted), valid, invalid (a tag failed) or unverifiable (no key).
    """

    family: str
    body: Body
    decryption: str = "absent"
    plaintexts: dict[str, bytes] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def encode(self) -> bytes:
        return self.body.encode()

    def to_json(self) -> dict:
        out = {"family": self.family, **self.body.to_json(), "decryption": self.decryption}
        if self.plaintexts:
            out["decrypted"] = {k: _plaintext_json(self.family, v) for k, v in self.plaintexts.items()}
        return out


def _plaintext_json(family: str, plaintext: bytes) -> object:
    """A decrypted DLMS attribute as typed Data when it parses completely, otherwise (and for GBZ) upper hex."""
    if family == "dlms":
        r = Reader(plaintext, 0, PayloadError)
        try:
            data = read_data(r)
            r.expect_end("dlms.decrypted")
            return {"hex": plaintext.hex().upper(), "data": data.to_json()}
        except PayloadError:
            pass
    return {"hex": plaintext.hex().upper()}


def decode_payload(header: GroupingHeader, key: Callable[[], bytes | None] | None = None) -> Payload:
    """Decode the content; with ``key`` (called only when needed) decrypt and authenticate encrypted blocks."""
    body = decode_body(header)
    out = Payload(family_of(header.payload), body)
    blocks = encrypted_blocks(body)
    if not blocks:
        return out
    content_key = key() if key else None
    if content_key is None:
        out.decryption = "unverifiable"
        return out
    out.decryption = "valid"
    originator = security.encryption_parties(header)[0]
    for where, block in blocks:
        try:
            out.plaintexts[where] = security.decrypt_block(content_key, originator, block)
        except (DecryptionFailed, GbcsError) as exc:
            out.decryption = "invalid"
            out.errors.append(f"{where}: {exc}")
    return out
