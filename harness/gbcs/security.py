"""Signing, MAC'ing and section-8 payload encryption applied to GBCS messages (gbcs.md 2.2 to 2.6)."""
from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from harness.gbcs import crypto
from harness.gbcs.apdu import GroupingHeader, Message
from harness.gbcs.errors import FramingError


def sign_grouping(header: GroupingHeader, ds_private: ec.EllipticCurvePrivateKey) -> GroupingHeader:
    """``header`` with a fresh 64-byte r||s signature over its signed span."""
    return header.with_signature(crypto.sign_raw(ds_private, header.signed_span()))


def sign_precommand(precommand: bytes, ds_private: ec.EllipticCurvePrivateKey) -> bytes:
    """Sign an encoded pre-command; a trailing null ``00`` signature field (Boxed < 1.4.1) is replaced."""
    header = GroupingHeader.decode(precommand)
    if header.signature not in (None, b""):
        raise FramingError("pre-command is already signed", field="signature")
    return sign_grouping(header, ds_private).encode()


def verify_signature(header: GroupingHeader, ds_public: ec.EllipticCurvePublicKey) -> bool:
    """True when the header carries a 64-byte signature valid under ``ds_public``."""
    return bool(header.signature) and crypto.verify_raw(ds_public, header.signed_span(), header.signature)


def mac_key(z: bytes, header: GroupingHeader) -> bytes:
    """The per-message MAC key: KDF with the header's originator, CRA, counter and recipient."""
    return crypto.kdf(z, header.originator, header.cra, header.counter, header.recipient)


def compute_mac(message: Message, key: bytes) -> bytes:
    return crypto.gmac(key, crypto.iv_for(message.grouping.originator), message.mac_aad())


def apply_mac(header: GroupingHeader, private: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey) -> Message:
    """Wrap ``header`` (which must carry a signature field) in a MAC header with the GMAC of the key pair."""
    if header.signature is None:
        raise FramingError("a MAC'd message needs a signature field (null or signed)", field="signature")
    unmaced = Message(header, b"\x00" * 12)
    return Message(header, compute_mac(unmaced, mac_key(crypto.ecdh_z(private, peer), header)))


def check_mac(message: Message, private: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey) -> bool:
    """True when the message's MAC is right for the key pair (constant-time comparison)."""
    if message.mac is None:
        return False
    expected = compute_mac(message, mac_key(crypto.ecdh_z(private, peer), message.grouping))
    return crypto.constant_time_equal(expected, message.mac)


def encryption_parties(header: GroupingHeader) -> tuple[bytes, int, bytes]:
    """(originator, counter, recipient) for section-8 encryption of this message's content (gbcs.md 2.6).

    The recipient is the supplementary remote party when present; the counter is the supplementary originator
    counter when other-information is 26 bytes long, otherwise the header counter.
    """
    oi = header.other_info
    recipient = oi.supplementary_remote_party_id or header.recipient
    counter = oi.supplementary_originator_counter
    return header.originator, header.counter if counter is None else counter, recipient


def encryption_key(z: bytes, header: GroupingHeader) -> bytes:
    originator, counter, recipient = encryption_parties(header)
    return crypto.kdf(z, originator, crypto.CRA_ENCRYPTION, counter, recipient)


def encrypt_block(key: bytes, originator: bytes, plaintext: bytes) -> bytes:
    """``31 00000000 || ciphertext || tag12`` (AAD = 0x31, IV = originator || 00000000)."""
    ct, tag = crypto.gcm_encrypt(key, crypto.iv_for(originator), crypto.ENCRYPTION_HEADER[:1], plaintext)
    return crypto.ENCRYPTION_HEADER + ct + tag


def decrypt_block(key: bytes, originator: bytes, block: bytes) -> bytes:
    """Inverse of ``encrypt_block``; raises FramingError on a bad header, DecryptionFailed on a bad tag."""
    if len(block) < 5 + crypto.TAG_LENGTH or block[:5] != crypto.ENCRYPTION_HEADER:
        raise FramingError("encrypted block must start 31 00000000 and carry a 12-byte tag", field="ciphered_information")
    return crypto.gcm_decrypt(key, crypto.iv_for(originator), block[:1], block[5:-crypto.TAG_LENGTH],
                              block[-crypto.TAG_LENGTH:])

