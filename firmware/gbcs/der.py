"""A tiny DER reader/writer for GBCS ASN.1 payloads (CS02x, CS03x, CS06, CS07, CS08, CCS08, GCS28 ...):
INTEGER, OCTET STRING, NULL, SEQUENCE, GeneralizedTime."""
from .ber import encode_length, read_length
from .errors import ParseError

INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
SEQUENCE = 0x30
GENERALIZED_TIME = 0x18


def read(buf, off=0):
    """(tag, value bytes, offset after the element) of the element at ``off``."""
    if off >= len(buf):
        raise ParseError("truncated: no tag", "der", off)
    tag = buf[off]
    if tag & 0x1F == 0x1F:
        raise ParseError("multi-byte tags are not supported", "der_tag", off)
    n, start = read_length(buf, off + 1, "der_length")
    return tag, bytes(buf[start:start + n]), start + n


def elements(buf):
    """All (tag, value) elements of ``buf`` in order; the elements must fill it exactly."""
    out = []
    off = 0
    while off < len(buf):
        tag, value, off = read(buf, off)
        out.append((tag, value))
    return out


def expect(buf, off, tag, field):
    """(value, next offset) of the element at ``off``, which must carry ``tag``."""
    got, value, nxt = read(buf, off)
    if got != tag:
        raise ParseError("tag 0x%02X, expected 0x%02X" % (got, tag), field, off)
    return value, nxt


def decode_integer(value, field="integer"):
    """The signed integer of a DER INTEGER body."""
    if not value:
        raise ParseError("empty INTEGER", field, 0)
    n = int.from_bytes(value, "big")
    if value[0] & 0x80:
        n -= 1 << (8 * len(value))
    return n


def decode_time(value, field="generalized_time"):
    """(year, month, day, hour, minute, second) of a GeneralizedTime YYYYMMDDHHMMSSZ body."""
    if len(value) != 15 or value[14] != 0x5A:
        raise ParseError("GeneralizedTime must be YYYYMMDDHHMMSSZ", field, 0)
    for b in value[:14]:
        if b < 0x30 or b > 0x39:
            raise ParseError("non-digit in GeneralizedTime", field, 0)
    s = value.decode()
    parts = (int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]), int(s[12:14]))
    if not (1 <= parts[1] <= 12 and 1 <= parts[2] <= 31 and parts[3] < 24 and parts[4] < 60 and parts[5] < 61):
        raise ParseError("date/time field out of range", field, 0)
    return parts


def tlv(tag, value):
    return bytes([tag]) + encode_length(len(value)) + bytes(value)


def integer(n):
    """DER INTEGER in minimal two's complement."""
    size = 1
    while not (-(1 << (8 * size - 1)) <= n < (1 << (8 * size - 1))):
        size += 1
    if n < 0:
        n += 1 << (8 * size)
    return tlv(INTEGER, n.to_bytes(size, "big"))


def octet_string(data):
    return tlv(OCTET_STRING, data)


def null():
    return b"\x05\x00"


def sequence(*parts):
    return tlv(SEQUENCE, b"".join(parts))


def generalized_time(year, month, day, hour, minute, second):
    return tlv(GENERALIZED_TIME, ("%04d%02d%02d%02d%02d%02dZ" % (year, month, day, hour, minute, second)).encode())
