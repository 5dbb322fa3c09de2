"""GBZ (ZigBee ZCL payload container) components: parse and build (gbcs.md 1.6 and 2.6)."""
from .errors import ParseError

PROFILE = b"\x01\x09"
LAST = 0x01
ENCRYPTED = 0x02
FROM_TIME = 0x10
# Future-dated execution alerts (8F66 success, 8F67 error) carry, in place of components, one
# length-prefixed block: message code (2) || originator counter (8) || details [I: layout read from RTDS].
FUTURE_DATED_ALERTS = (0x8F66, 0x8F67)


class Component:
    """One GBZ component (its command length counts the optional 4-byte From Date Time). ``payload`` is the clear ZCL payload (little-endian fields), or, when
    ``encrypted``, the ciphered block `31 00000000 || ct || tag` with ``extra_header`` the 2-byte
    additional-header control and frame counter."""

    def __init__(self, cluster, frame_control, seq, command, payload, from_time=None, encrypted=False,
                 extra_header=b"\x00\x00"):
        self.cluster = cluster
        self.frame_control = frame_control
        self.seq = seq
        self.command = command
        self.payload = payload
        self.from_time = from_time
        self.encrypted = encrypted
        self.extra_header = extra_header


class Gbz:
    """A GBZ payload: components, plus alert code and UTC timestamp for the alert form."""

    def __init__(self, components, alert_code=None, timestamp=None, future_dated=None):
        self.components = components
        self.alert_code = alert_code
        self.timestamp = timestamp
        self.future_dated = future_dated  # (message code, counter 8 bytes, details) or None


def _take(buf, off, n, field):
    if off + n > len(buf):
        raise ParseError("truncated: need %d bytes" % n, field, off)
    return bytes(buf[off:off + n]), off + n


def parse(buf, alert=False):
    """A Gbz from content bytes; ``alert`` selects the alert form (alert code + timestamp)."""
    if bytes(buf[:2]) != PROFILE:
        raise ParseError("GBZ must start with profile 0109", "gbz_profile", 0)
    count, off = _take(buf, 2, 1, "gbz_count")
    count = count[0]
    alert_code = timestamp = None
    if alert:
        hdr, off = _take(buf, off, 6, "gbz_alert_header")
        alert_code = (hdr[0] << 8) | hdr[1]
        timestamp = int.from_bytes(hdr[2:6], "big")
    if alert_code in FUTURE_DATED_ALERTS:
        n, off = _take(buf, off, 1, "gbz_future_dated_length")
        block, off = _take(buf, off, n[0], "gbz_future_dated")
        if len(block) < 10 or off != len(buf):
            raise ParseError("future-dated block must hold code + counter and end the payload",
                             "gbz_future_dated", off)
        return Gbz([], alert_code, timestamp, ((block[0] << 8) | block[1], block[2:10], block[10:]))
    comps = []
    for i in range(count):
        hdr, off = _take(buf, off, 5, "gbz_component_header")
        control = hdr[0]
        if bool(control & LAST) != (i == count - 1):
            raise ParseError("last-component flag disagrees with the count", "gbz_control", off - 5)
        cluster = (hdr[1] << 8) | hdr[2]
        length = (hdr[3] << 8) | hdr[4]
        from_time = None
        if control & FROM_TIME:
            if length < 4:
                raise ParseError("command length too short for the From Date Time", "gbz_length", off - 2)
            t, off = _take(buf, off, 4, "gbz_from_time")
            from_time = int.from_bytes(t, "big")
            length -= 4
        body, off = _take(buf, off, length, "gbz_command")
        if control & ENCRYPTED:
            if length < 7:
                raise ParseError("encrypted component too short", "gbz_command", off - length)
            n = (body[5] << 8) | body[6]
            if 7 + n != length:
                raise ParseError("ciphered length %d disagrees with command length" % n, "gbz_ciphered_length",
                                 off - length + 5)
            comps.append(Component(cluster, body[2], body[3], body[4], body[7:], from_time, True, body[:2]))
        else:
            if length < 3:
                raise ParseError("ZCL header needs 3 bytes", "gbz_command", off - length)
            comps.append(Component(cluster, body[0], body[1], body[2], body[3:], from_time))
    if off != len(buf):
        raise ParseError("%d trailing bytes" % (len(buf) - off), "gbz", off)
    return Gbz(comps, alert_code, timestamp)


def build(gbz):
    """Content bytes of a Gbz (the last-component flag is set on the final component)."""
    out = PROFILE + bytes([1 if gbz.future_dated is not None else len(gbz.components)])
    if gbz.alert_code is not None:
        out += bytes([gbz.alert_code >> 8, gbz.alert_code & 0xFF]) + gbz.timestamp.to_bytes(4, "big")
    if gbz.future_dated is not None:
        code, counter, details = gbz.future_dated
        block = bytes([code >> 8, code & 0xFF]) + bytes(counter) + bytes(details)
        return out + bytes([len(block)]) + block
    for i, c in enumerate(gbz.components):
        control = (LAST if i == len(gbz.components) - 1 else 0) | (FROM_TIME if c.from_time is not None else 0)
        zcl = bytes([c.frame_control, c.seq, c.command])
        if c.encrypted:
            control |= ENCRYPTED
            body = bytes(c.extra_header) + zcl + bytes([len(c.payload) >> 8, len(c.payload) & 0xFF]) + c.payload
        else:
            body = zcl + bytes(c.payload)
        size = len(body) + (4 if c.from_time is not None else 0)
        out += bytes([control, c.cluster >> 8, c.cluster & 0xFF, size >> 8, size & 0xFF])
        if c.from_time is not None:
            out += c.from_time.to_bytes(4, "big")
        out += body
    return out
