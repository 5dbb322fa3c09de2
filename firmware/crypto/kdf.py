"""The GBCS key derivation (gbcs.md 2.3): SP800-56A concatenation KDF, one SHA-256 round, 16-byte key."""
from .errors import CryptoInputError
from .hashing import sha256

ALGORITHM_ID = b"\x60\x85\x74\x06\x08\x03\x00"
CRA_COMMAND = 1
CRA_RESPONSE = 2
CRA_ALERT = 3
CRA_ENCRYPTION = 4


def other_info(originator, cra, counter, recipient):
    """OtherInfo = AlgorithmID || originator(8) || 09 || CRA || counter(8) || recipient(8)."""
    if len(originator) != 8:
        raise CryptoInputError("must be 8 bytes", "originator")
    if len(recipient) != 8:
        raise CryptoInputError("must be 8 bytes", "recipient")
    if len(counter) != 8:
        raise CryptoInputError("must be 8 bytes", "counter")
    return ALGORITHM_ID + bytes(originator) + bytes([9, cra]) + bytes(counter) + bytes(recipient)


def derive_key(z, originator, cra, counter, recipient):
    """SHA256(00000001 || Z || OtherInfo)[:16] for the 32-byte shared secret ``z``."""
    if len(z) != 32:
        raise CryptoInputError("shared secret must be 32 bytes", "z")
    return sha256(b"\x00\x00\x00\x01" + bytes(z) + other_info(originator, cra, counter, recipient))[:16]
