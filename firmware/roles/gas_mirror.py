# The GSME's mirror on the GPF (BAD 7.2.1.6.7; han-transport.md 2): the Metering attributes the GSME last reported
# to its mirror, and GCS13a (Read GSME consumption, message code 0x0074) answered from them, so the sleepy GSME need
# not wake for a gas read.
#
# GCS13a command (RTDS 4.1.1): GBZ, one component, Metering cluster 0x0702, ZCL Read Attributes of
# Divisor 0x0302, Multiplier 0x0301, UnitOfMeasure 0x0300, CurrentSummationDelivered 0x0000.
# Response: GBZ, one encrypted component (GBCS section 8, gbcs.md 2.6): additional header 00 00, ZCL header
# 18 <seq> 01 (Read Attributes Response) in clear, then `31 00000000 || ct || tag`; the plaintext is the ZCL
# read-attribute records {id LE, status, type, value LE}. Key: KDF(GPF KA x requester KA, 04, counter, requester).
# [I] The record layout (uint48 summation, enum8 unit, uint24 multiplier and divisor) is the ZCL Metering types; the
# RTDS 4.1.1 GPF response decrypts to exactly these records, which tests/firmware/test_fw_gas_mirror.py checks.
from firmware.gbcs.errors import ParseError

GCS13A = 0x0074
METERING = 0x0702
SUMMATION, UNIT, MULTIPLIER, DIVISOR = 0x0000, 0x0300, 0x0301, 0x0302
TYPES = {SUMMATION: (0x25, 6), UNIT: (0x30, 1), MULTIPLIER: (0x22, 3), DIVISOR: (0x22, 3)}  # id -> (ZCL type, octets)
READ_ATTRIBUTES, READ_ATTRIBUTES_RESPONSE = 0x00, 0x01
SERVER_TO_CLIENT_NO_DEFAULT = 0x18
STATUS_SUCCESS, STATUS_UNSUPPORTED = 0x00, 0x86


def defaults():
    """No mirror until the GSME asks for one: {"eui": hex or None, "attrs": {id str: int}, "updated_ms": ms}."""
    return {"eui": None, "attrs": {}, "updated_ms": None}


def update(mirror, eui_hex, values, now_ms, keep_first=False):
    """The GSME reported `values` ({attribute id: int}) to its mirror; `keep_first` (a defect) keeps the values the
    mirror was first filled with. Attributes the mirror does not hold, and values that do not fit their type, are
    ignored. Returns the mirror."""
    if mirror["eui"] not in (None, eui_hex):
        return mirror
    if keep_first and mirror["attrs"]:
        return mirror
    mirror["eui"] = eui_hex
    for attr, value in values.items():
        try:
            attr = int(attr)
        except ValueError:
            continue
        if attr in TYPES and isinstance(value, int) and value is not True and value is not False \
                and 0 <= value < (1 << (8 * TYPES[attr][1])):
            mirror["attrs"][str(attr)] = value
    mirror["updated_ms"] = now_ms
    return mirror


def read_request(content):
    """(ZCL sequence number, [attribute ids]) of a GCS13a command; ParseError for another layout."""
    from firmware.gbcs import gbz

    parsed = gbz.parse(content)
    if len(parsed.components) != 1:
        raise ParseError("GCS13a carries one component", "gcs13a", 0)
    comp = parsed.components[0]
    if comp.cluster != METERING or comp.encrypted or comp.command != READ_ATTRIBUTES or comp.frame_control & 0x03:
        raise ParseError("GCS13a is a Metering Read Attributes", "gcs13a", 0)
    ids = bytes(comp.payload)
    if len(ids) % 2:
        raise ParseError("odd attribute list", "gcs13a", 0)
    return comp.seq, [ids[i] | (ids[i + 1] << 8) for i in range(0, len(ids), 2)]


def records(attrs, ids):
    """The ZCL read-attribute records for `ids` from the mirror's attributes ({id str: int})."""
    out = b""
    for attr in ids:
        out += bytes([attr & 0xFF, attr >> 8])
        value = attrs.get(str(attr))
        if value is None or attr not in TYPES:
            out += bytes([STATUS_UNSUPPORTED])
            continue
        dtype, size = TYPES[attr]
        out += bytes([STATUS_SUCCESS, dtype]) + int(value).to_bytes(size, "little")
    return out


def response(key, device_eui, seq, plaintext):
    """GCS13a response content: one encrypted Metering component sealed with `key`."""
    from firmware.gbcs import gbz, protect

    block = protect.seal(key, device_eui, plaintext)
    comp = gbz.Component(METERING, SERVER_TO_CLIENT_NO_DEFAULT, seq, READ_ATTRIBUTES_RESPONSE, block, encrypted=True)
    return gbz.build(gbz.Gbz([comp]))


def answer(dev, mirror, msg):
    """The GCS13a response content for the parsed command `msg`, encrypted to its originator."""
    from firmware.gbcs import protect

    seq, ids = read_request(msg.content)
    key = protect.content_key(dev.shared_secret(msg.originator), dev.eui, msg.counter, msg.originator)
    return response(key, dev.eui, seq, records(mirror["attrs"], ids))
