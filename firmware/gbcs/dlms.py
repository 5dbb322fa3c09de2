"""DLMS/COSEM basics for GBCS payloads: A-XDR data, access-request (D9), access-response (DA) and
data-notification (0F), with GBCS long-invoke-ids (0x20 | low 24 bits of the originator counter)."""
from .ber import encode_length, read_length
from .errors import ParseError

ACCESS_REQUEST = 0xD9
ACCESS_RESPONSE = 0xDA
DATA_NOTIFICATION = 0x0F
GET, SET, ACTION, GET_SELECTIVE, SET_SELECTIVE = 1, 2, 3, 4, 5

NULL, ARRAY, STRUCTURE, BOOLEAN, BIT_STRING = 0x00, 0x01, 0x02, 0x03, 0x04
OCTET_STRING, VISIBLE_STRING, COMPACT_ARRAY, ENUM, DATE_TIME = 0x09, 0x0A, 0x13, 0x16, 0x19
# Fixed-size types: tag -> byte count (int32, uint32, int8, int16, uint8, uint16, int64, uint64, enum,
# float32, float64, date-time, date, time).
_FIXED = {0x03: 1, 0x05: 4, 0x06: 4, 0x0F: 1, 0x10: 2, 0x11: 1, 0x12: 2, 0x14: 8, 0x15: 8, 0x16: 1,
          0x17: 4, 0x18: 8, 0x19: 12, 0x1A: 5, 0x1B: 4}
_SIGNED = (0x05, 0x0F, 0x10, 0x14)
MAX_DEPTH = 8


def invoke_id(counter):
    """The GBCS long-invoke-id for an 8-byte or int originator counter."""
    if not isinstance(counter, int):
        counter = int.from_bytes(counter, "big")
    return 0x20000000 | (counter & 0xFFFFFF)


def decode_data(buf, off=0, depth=0):
    """((tag, value), next offset): ints for integer/enum/boolean types, bytes for strings/dates,
    a list of (tag, value) for arrays and structures, None for null-data, (bit count, bytes) for a
    bit-string and (type description, contents) for a compact-array."""
    if depth > MAX_DEPTH:
        raise ParseError("data nested too deeply", "dlms_data", off)
    if off >= len(buf):
        raise ParseError("truncated: no data tag", "dlms_data", off)
    tag = buf[off]
    off += 1
    if tag == NULL:
        return (tag, None), off
    if tag in (ARRAY, STRUCTURE):
        n, off = _count(buf, off)
        items = []
        for _ in range(n):
            item, off = decode_data(buf, off, depth + 1)
            items.append(item)
        return (tag, items), off
    if tag in (OCTET_STRING, VISIBLE_STRING):
        n, off = read_length(buf, off, "dlms_string_length")
        return (tag, bytes(buf[off:off + n])), off + n
    if tag == COMPACT_ARRAY:
        start = off
        off = _skip_type(buf, off, depth)
        desc = bytes(buf[start:off])
        n, off = read_length(buf, off, "dlms_compact_array_length")
        return (tag, (desc, bytes(buf[off:off + n]))), off + n
    if tag == BIT_STRING:
        bits, off = _count(buf, off)
        n = (bits + 7) // 8
        if off + n > len(buf):
            raise ParseError("truncated bit-string", "dlms_data", off)
        return (tag, (bits, bytes(buf[off:off + n]))), off + n
    size = _FIXED.get(tag)
    if size is None:
        raise ParseError("unsupported data tag 0x%02X" % tag, "dlms_data", off - 1)
    if off + size > len(buf):
        raise ParseError("truncated value of tag 0x%02X" % tag, "dlms_data", off)
    raw = bytes(buf[off:off + size])
    if tag in (0x17, 0x18, 0x19, 0x1A, 0x1B):
        return (tag, raw), off + size
    v = int.from_bytes(raw, "big")
    if tag in _SIGNED and raw[0] & 0x80:
        v -= 1 << (8 * size)
    return (tag, v), off + size


def _skip_type(buf, off, depth):
    # A compact-array TypeDescription: a simple tag, array (count(2) + type) or structure (count + types).
    if depth > MAX_DEPTH or off >= len(buf):
        raise ParseError("bad compact-array type description", "dlms_type_description", off)
    tag = buf[off]
    if tag == ARRAY:
        return _skip_type(buf, off + 3, depth + 1)
    if tag == STRUCTURE:
        n, off = _count(buf, off + 1)
        for _ in range(n):
            off = _skip_type(buf, off, depth + 1)
        return off
    return off + 1


def _count(buf, off):
    # A-XDR quantities use the same definite-length form as BER; the items need not fit a byte each.
    if off >= len(buf):
        raise ParseError("truncated count", "dlms_count", off)
    first = buf[off]
    if first < 0x80:
        return first, off + 1
    k = first & 0x7F
    if k == 0 or k > 2 or off + 1 + k > len(buf):
        raise ParseError("bad count form", "dlms_count", off)
    return int.from_bytes(buf[off + 1:off + 1 + k], "big"), off + 1 + k


def encode_data(item):
    """A-XDR bytes of a (tag, value) pair as decode_data returns it."""
    tag, value = item
    if tag == NULL:
        return b"\x00"
    if tag in (ARRAY, STRUCTURE):
        return bytes([tag]) + encode_length(len(value)) + b"".join([encode_data(i) for i in value])
    if tag in (OCTET_STRING, VISIBLE_STRING):
        return bytes([tag]) + encode_length(len(value)) + bytes(value)
    if tag == COMPACT_ARRAY:
        return bytes([tag]) + bytes(value[0]) + encode_length(len(value[1])) + bytes(value[1])
    if tag == BIT_STRING:
        return bytes([tag]) + encode_length(value[0]) + bytes(value[1])
    size = _FIXED.get(tag)
    if size is None:
        raise ValueError("unsupported data tag 0x%02X" % tag)
    if isinstance(value, (bytes, bytearray)):
        return bytes([tag]) + bytes(value)
    if value < 0:
        value += 1 << (8 * size)
    return bytes([tag]) + value.to_bytes(size, "big")


def _header(buf, tag, field):
    if len(buf) < 6 or buf[0] != tag:
        raise ParseError("expected tag 0x%02X and a 4-byte invoke-id" % tag, field, 0)
    inv = int.from_bytes(buf[1:5], "big")
    if buf[5] == 0:
        return inv, b"", 6
    if buf[5] != 12 or len(buf) < 18:
        raise ParseError("date-time must be 00 or 0C + 12 bytes", "dlms_date_time", 5)
    return inv, bytes(buf[6:18]), 18


def _date_time(dt):
    return b"\x00" if not dt else b"\x0c" + bytes(dt)


class AccessRequest:
    """``specs``: list of (kind, class_id, obis 6 bytes, attribute or method id, selection), where
    selection is (selector, (tag, value)) for GET_SELECTIVE/SET_SELECTIVE and None otherwise;
    ``data``: list of (tag, value), one per spec."""

    def __init__(self, invoke, date_time, specs, data):
        self.invoke_id = invoke
        self.date_time = date_time
        self.specs = specs
        self.data = data


def parse_access_request(buf):
    inv, dt, off = _header(buf, ACCESS_REQUEST, "access_request")
    n, off = _count(buf, off)
    specs = []
    for _ in range(n):
        if off + 10 > len(buf):
            raise ParseError("truncated request specification", "access_request_spec", off)
        kind = buf[off]
        if kind < GET or kind > SET_SELECTIVE:
            raise ParseError("request kind 0x%02X is not 1..5" % kind, "access_request_spec", off)
        cls = (buf[off + 1] << 8) | buf[off + 2]
        obis = bytes(buf[off + 3:off + 9])
        attr = buf[off + 9]
        off += 10
        selection = None
        if kind >= GET_SELECTIVE:
            if off >= len(buf):
                raise ParseError("truncated access selection", "access_selection", off)
            selector = buf[off]
            item, off = decode_data(buf, off + 1)
            selection = (selector, item)
        specs.append((kind, cls, obis, attr, selection))
    n, off = _count(buf, off)
    data = []
    for _ in range(n):
        item, off = decode_data(buf, off)
        data.append(item)
    if off != len(buf):
        raise ParseError("%d trailing bytes" % (len(buf) - off), "access_request", off)
    return AccessRequest(inv, dt, specs, data)


def build_access_request(invoke, specs, data, date_time=b""):
    out = bytes([ACCESS_REQUEST]) + invoke.to_bytes(4, "big") + _date_time(date_time) + encode_length(len(specs))
    for kind, cls, obis, attr, selection in specs:
        out += bytes([kind, cls >> 8, cls & 0xFF]) + bytes(obis) + bytes([attr])
        if selection is not None:
            out += bytes([selection[0]]) + encode_data(selection[1])
    return out + encode_length(len(data)) + b"".join([encode_data(d) for d in data])


def build_access_response(invoke, data, results, date_time=b""):
    """DA response: no request-spec echo, ``data`` list of (tag, value), ``results`` list of (kind, code)."""
    out = bytes([ACCESS_RESPONSE]) + invoke.to_bytes(4, "big") + _date_time(date_time) + b"\x00"
    out += encode_length(len(data)) + b"".join([encode_data(d) for d in data])
    out += encode_length(len(results)) + b"".join([bytes([k, c]) for k, c in results])
    return out


def parse_access_response(buf):
    """(invoke_id, date_time, data list, results list of (kind, code))."""
    inv, dt, off = _header(buf, ACCESS_RESPONSE, "access_response")
    if off >= len(buf) or buf[off] != 0:
        raise ParseError("request-specification echo is not supported", "access_response", off)
    n, off = _count(buf, off + 1)
    data = []
    for _ in range(n):
        item, off = decode_data(buf, off)
        data.append(item)
    n, off = _count(buf, off)
    if off + 2 * n != len(buf):
        raise ParseError("response specification length mismatch", "access_response_spec", off)
    results = [(buf[off + 2 * i], buf[off + 2 * i + 1]) for i in range(n)]
    return inv, dt, data, results


def build_data_notification(invoke, data, date_time=b""):
    return bytes([DATA_NOTIFICATION]) + invoke.to_bytes(4, "big") + _date_time(date_time) + encode_data(data)


def parse_data_notification(buf):
    """(invoke_id, date_time, (tag, value))."""
    inv, dt, off = _header(buf, DATA_NOTIFICATION, "data_notification")
    item, off = decode_data(buf, off)
    if off != len(buf):
        raise ParseError("%d trailing bytes" % (len(buf) - off), "data_notification", off)
    return inv, dt, item
