"""BER definite lengths (1 to 3 length octets after 0x81/0x82/0x83, as GBCS uses)."""
from .errors import ParseError


def read_length(buf, off, field="length"):
    """(length, offset after the length octets); the length must fit in ``buf``."""
    if off >= len(buf):
        raise ParseError("truncated", field, off)
    first = buf[off]
    off += 1
    if first < 0x80:
        n = first
    else:
        count = first & 0x7F
        if count == 0 or count > 3:
            raise ParseError("unsupported BER length form 0x%02X" % first, field, off - 1)
        if off + count > len(buf):
            raise ParseError("truncated", field, off)
        n = 0
        for i in range(count):
            n = (n << 8) | buf[off + i]
        off += count
    if off + n > len(buf):
        raise ParseError("length %d runs past the end (%d bytes left)" % (n, len(buf) - off), field, off)
    return n, off


def encode_length(n):
    """The BER definite-length octets for ``n`` (0 <= n < 2^24)."""
    if n < 0 or n >= 1 << 24:
        raise ValueError("length out of range")
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    if n < 0x10000:
        return bytes([0x82, n >> 8, n & 0xFF])
    return bytes([0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF])
