"""GBCS message framing (gbcs.md 1.2-1.4): parse and build the MAC header, grouping header,
signature field and MAC. Security operations live in firmware.gbcs.security.
"""
from .ber import encode_length, read_length
from .errors import ParseError

TAG_CIPHERING = 0xDD
TAG_SIGNING = 0xDF
SC_AUTHENTICATED = 0x11
MAC_LEN = 12
CRA_COMMAND = 1
CRA_RESPONSE = 2
CRA_ALERT = 3
_ZERO_FIELDS = b"\x00\x00\x00\x00\x00\x00"


class Message:
    """A parsed GBCS message. Byte fields are bytes; ``signature`` is None (absent), b"" (null) or r||s.

    ``supp_id``/``supp_counter``/``supp_orig_counter``/``supp_cert`` hold the other-information
    extras (None when absent). ``raw[gs_start:gs_end]`` is the general-signing APDU and
    ``raw[gs_start + 1:content_end]`` the signed bytes.
    """

    def __init__(self, raw):
        self.raw = raw
        self.mac = None
        self.gs_start = 0
        self.content_end = 0
        self.gs_end = 0
        self.cra = 0
        self.counter = b""
        self.originator = b""
        self.recipient = b""
        self.date_time = b""
        self.other_info = b""
        self.message_code = 0
        self.supp_id = None
        self.supp_counter = None
        self.supp_orig_counter = None
        self.supp_cert = None
        self.content = b""
        self.signature = None

    def signed_bytes(self):
        """The bytes covered by the ECDSA signature: the APDU after 0xDF up to the end of the content."""
        return self.raw[self.gs_start + 1:self.content_end]

    def general_signing(self):
        """The whole general-signing APDU, signature field included."""
        return self.raw[self.gs_start:self.gs_end]

    def counter_int(self):
        return int.from_bytes(self.counter, "big")


def _need(buf, off, n, field):
    if off + n > len(buf):
        raise ParseError("truncated: need %d bytes" % n, field, off)


def _fixed(buf, off, expect_len, field):
    _need(buf, off, 1, field)
    if buf[off] != expect_len:
        raise ParseError("length byte 0x%02X, expected 0x%02X" % (buf[off], expect_len), field, off)
    _need(buf, off + 1, expect_len, field)
    return bytes(buf[off + 1:off + 1 + expect_len]), off + 1 + expect_len


def _other_info(m, info, off):
    if len(info) < 2:
        raise ParseError("shorter than the 2-byte message code", "other_information", off)
    m.message_code = (info[0] << 8) | info[1]
    n = len(info)
    if n == 2:
        return
    if n not in (10, 18, 26) and n <= 26:
        raise ParseError("length %d is not 2, 10, 18, 26 or >26" % n, "other_information", off)
    m.supp_id = info[2:10]
    if n >= 18:
        m.supp_counter = info[10:18]
    if n == 26:
        m.supp_orig_counter = info[18:26]
    elif n > 26:
        m.supp_cert = info[18:]


def _parse_signing(buf, off, end, m):
    if off >= end or buf[off] != TAG_SIGNING:
        raise ParseError("expected general-signing tag 0xDF", "grouping_header", off)
    m.gs_start = off
    off += 1
    tid, off = _fixed(buf, off, 9, "transaction_id")
    m.cra = tid[0]
    if m.cra not in (CRA_COMMAND, CRA_RESPONSE, CRA_ALERT):
        raise ParseError("CRA flag 0x%02X is not 01, 02 or 03" % m.cra, "cra_flag", off - 9)
    m.counter = tid[1:]
    m.originator, off = _fixed(buf, off, 8, "originator_system_title")
    m.recipient, off = _fixed(buf, off, 8, "recipient_system_title")
    _need(buf, off, 1, "date_time")
    if buf[off] == 0:
        m.date_time = b""
        off += 1
    else:
        m.date_time, off = _fixed(buf, off, 12, "date_time")
    n, off = read_length(buf[:end], off, "other_information")
    m.other_info = bytes(buf[off:off + n])
    _other_info(m, m.other_info, off)
    off += n
    n, off = read_length(buf[:end], off, "content")
    m.content = bytes(buf[off:off + n])
    off += n
    m.content_end = off
    if off == end:
        m.signature = None
    else:
        n, off = read_length(buf[:end], off, "signature")
        if n not in (0, 64):
            raise ParseError("signature length %d is not 0 or 64" % n, "signature", off)
        m.signature = bytes(buf[off:off + n])
        off += n
    if off != end:
        raise ParseError("%d unexpected bytes after the signature" % (end - off), "grouping_header", off)
    m.gs_end = off


def parse(data):
    """Parse a whole GBCS message (DD...MAC or a bare DF APDU); raises ParseError naming the bad field."""
    raw = bytes(data)
    m = Message(raw)
    if not raw:
        raise ParseError("empty message", "message", 0)
    if raw[0] == TAG_CIPHERING:
        _need(raw, 1, 6, "mac_header")
        if raw[1:7] != _ZERO_FIELDS:
            raise ParseError("general-ciphering fields must be empty (GBT blocks are not supported)",
                             "mac_header", 1)
        n, off = read_length(raw, 7, "ciphered_length")
        if off + n != len(raw):
            raise ParseError("ciphered length %d != %d bytes present" % (n, len(raw) - off), "ciphered_length", 7)
        _need(raw, off, 5, "security_header")
        if raw[off] != SC_AUTHENTICATED:
            raise ParseError("security control 0x%02X, expected 0x11" % raw[off], "security_control", off)
        if raw[off + 1:off + 5] != b"\x00\x00\x00\x00":
            raise ParseError("invocation counter must be zero", "invocation_counter", off + 1)
        end = len(raw) - MAC_LEN
        if end < off + 5:
            raise ParseError("no room for the 12-byte MAC", "mac", off + 5)
        _parse_signing(raw, off + 5, end, m)
        m.mac = raw[end:]
    elif raw[0] == TAG_SIGNING:
        _parse_signing(raw, 0, len(raw), m)
    else:
        raise ParseError("first byte 0x%02X is neither 0xDD nor 0xDF" % raw[0], "message", 0)
    return m


def _octets(value, n, field):
    if len(value) != n:
        raise ValueError("%s must be %d bytes" % (field, n))
    return bytes([n]) + bytes(value)


def build_other_info(message_code, supp_id=None, supp_counter=None, tail=b""):
    """Other-information bytes: code (2) [+ supp_id (8) [+ supp_counter (8) [+ tail]]]."""
    out = bytes([(message_code >> 8) & 0xFF, message_code & 0xFF])
    if supp_id is not None:
        out += bytes(supp_id)
        if supp_counter is not None:
            out += bytes(supp_counter) + bytes(tail)
    return out


def build_signing(cra, counter, originator, recipient, other_info, content, date_time=b""):
    """A general-signing APDU without its signature field (a pre-command when left so)."""
    dt = b"\x00" if not date_time else _octets(date_time, 12, "date_time")
    return (bytes([TAG_SIGNING, 9, cra]) + _octets(counter, 8, "counter")[1:]
            + _octets(originator, 8, "originator") + _octets(recipient, 8, "recipient") + dt
            + encode_length(len(other_info)) + bytes(other_info)
            + encode_length(len(content)) + bytes(content))


def signature_field(signature):
    """``00`` for a null signature (b"" or None), ``40`` + r||s otherwise."""
    if not signature:
        return b"\x00"
    if len(signature) != 64:
        raise ValueError("signature must be 64 bytes")
    return b"\x40" + bytes(signature)


def mac_wrap(general_signing, mac):
    """DD header + security header + ``general_signing`` + 12-byte MAC."""
    body_len = 5 + len(general_signing) + MAC_LEN
    return (bytes([TAG_CIPHERING]) + _ZERO_FIELDS + encode_length(body_len)
            + bytes([SC_AUTHENTICATED, 0, 0, 0, 0]) + bytes(general_signing) + bytes(mac))
