"""GBCS section 8 encryption of sensitive content (gbcs.md 2.6): `31 00000000 || ct || tag12`, AAD = 31."""
from ..crypto import gcm, kdf
from .errors import ParseError

HEADER = b"\x31\x00\x00\x00\x00"
TAG_LEN = 12


def content_key(z, device, counter, recipient):
    """KDF with 04 in the CRA position: originator = the device, ``recipient`` = supp. ID or recipient."""
    return kdf.derive_key(z, device, kdf.CRA_ENCRYPTION, counter, recipient)


def seal(key, device, plaintext):
    """The ciphered block `31 00000000 || ciphertext || 12-byte tag` (IV = device EUI || 00000000)."""
    ct, tag = gcm.encrypt(key, bytes(device) + b"\x00\x00\x00\x00", plaintext, HEADER[:1], TAG_LEN)
    return HEADER + ct + tag


def open_block(key, device, block):
    """The plaintext of a ciphered block; ParseError for a bad header, gcm.AuthenticationFailed for a bad tag."""
    if len(block) < len(HEADER) + TAG_LEN:
        raise ParseError("ciphered block shorter than header + tag", "ciphered_information", 0)
    if bytes(block[:5]) != HEADER:
        raise ParseError("security header must be 31 00000000", "security_header", 0)
    return gcm.decrypt(key, bytes(device) + b"\x00\x00\x00\x00", bytes(block[5:-TAG_LEN]),
                       bytes(block[-TAG_LEN:]), HEADER[:1])
