"""Verification pipeline: decode a message, check its signature and MAC with a key store, decode the payload.

Statuses: ``valid``, ``invalid``, ``absent`` (the message carries none) or ``unverifiable`` (a key needed to check
it is missing). ``valid`` is only ever the result of a check that passed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import InputError
from harness.gbcs import security
from harness.gbcs.apdu import CRA_COMMAND, GroupingHeader, Message
from harness.gbcs.crypto import ecdh_z
from harness.gbcs.keystore import KeyStore
from harness.gbcs.payload import Payload, decode_payload
from harness.gbcs.usecases import is_han_only

VALID, INVALID, ABSENT, UNVERIFIABLE = "valid", "invalid", "absent", "unverifiable"
DEFAULT_ACB = bytes.fromhex("90B3D51F30000002")


@dataclass
class Verification:
    """The outcome of verifying one message."""

    message: Message
    signature: str
    mac: str
    payload: Payload | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No check failed and the payload decoded (absent/unverifiable checks do not count as failures)."""
        return INVALID not in (self.signature, self.mac) and not self.errors


def signature_status(header: GroupingHeader, keys: KeyStore) -> str:
    """Check the signature with the originator's DS public key."""
    if not header.signature:
        return ABSENT
    public = keys.public_key(header.originator, "ds")
    if public is None:
        return UNVERIFIABLE
    return VALID if security.verify_signature(header, public) else INVALID


def mac_parties(header: GroupingHeader, acb: bytes) -> tuple[bytes, bytes]:
    """The two parties whose KA keys make the MAC key (gbcs.md 2.5).

    Commands are MAC'd by the ACB for the recipient device, except HAN-only commands (device to device);
    responses and alerts by the originating device for the recipient.
    """
    if header.cra == CRA_COMMAND and not is_han_only(header.message_code):
        return acb, header.recipient
    return header.originator, header.recipient


def shared_secret(keys: KeyStore, a: bytes, b: bytes) -> bytes | None:
    """Z between the KA keys of ``a`` and ``b``, using whichever side's private key the store holds."""
    for mine, theirs in ((a, b), (b, a)):
        private = keys.private_key(mine, "ka")
        public = keys.public_key(theirs, "ka")
        if private is not None and public is not None:
            return ecdh_z(private, public)
    return None


def mac_status(message: Message, keys: KeyStore, acb: bytes = DEFAULT_ACB) -> str:
    if message.mac is None:
        return ABSENT
    z = shared_secret(keys, *mac_parties(message.grouping, acb))
    if z is None:
        return UNVERIFIABLE
    expected = security.compute_mac(message, security.mac_key(z, message.grouping))
    return VALID if security.crypto.constant_time_equal(expected, message.mac) else INVALID


def content_key(header: GroupingHeader, keys: KeyStore) -> bytes | None:
    """The section-8 key for encrypted content in this message, or None when a key is missing."""
    originator, _, recipient = security.encryption_parties(header)
    z = shared_secret(keys, originator, recipient)
    return None if z is None else security.encryption_key(z, header)


def verify(data: bytes | Message, keys: KeyStore, acb: bytes = DEFAULT_ACB) -> Verification:
    """Decode (if needed) and verify one message. Malformed framing raises an InputError subclass;
    a malformed payload is reported in ``errors``."""
    message = data if isinstance(data, Message) else Message.decode(data)
    header = message.grouping
    result = Verification(message, signature_status(header, keys), mac_status(message, keys, acb))
    try:
        result.payload = decode_payload(header, lambda: content_key(header, keys))
    except InputError as exc:
        result.errors.append(f"payload: {exc}")
    if result.payload is not None:
        result.errors.extend(result.payload.errors)
    return result
