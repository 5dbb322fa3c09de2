"""GBCS message MACs and signatures (gbcs.md 2.2-2.4) over firmware.crypto."""
from ..crypto import ecdsa, gcm, kdf
from ..crypto.compare import equal
from .frame import MAC_LEN

AAD_PREFIX = b"\x11\x00\x00\x00\x00\x00"


def mac_key(z, originator, cra, counter, recipient):
    """The per-message AES key from the ECDH secret ``z`` and the header fields."""
    return kdf.derive_key(z, originator, cra, counter, recipient)


def compute_mac(key, originator, general_signing):
    """12-byte GMAC: IV = originator || 00000000, AAD = 11 00*5 || the general-signing APDU."""
    return gcm.gmac(key, bytes(originator) + b"\x00\x00\x00\x00", AAD_PREFIX + bytes(general_signing), MAC_LEN)


def mac_valid(z, msg):
    """True when the parsed MAC-protected ``msg`` carries the right MAC under shared secret ``z``."""
    key = mac_key(z, msg.originator, msg.cra, msg.counter, msg.recipient)
    return equal(compute_mac(key, msg.originator, msg.general_signing()), msg.mac)


def signature_valid(ds_public, msg):
    """True when ``msg`` has a 64-byte signature that verifies under ``ds_public`` (65 bytes)."""
    if not msg.signature:
        return False
    return ecdsa.verify(ds_public, msg.signed_bytes(), msg.signature)


def sign(ds_private, unsigned_signing):
    """The 64-byte r||s over a general-signing APDU without signature (bytes after 0xDF)."""
    return ecdsa.sign(ds_private, bytes(unsigned_signing)[1:])
