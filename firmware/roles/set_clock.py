# Set Clock as SRV 8.1.1 Commission Device and SRV 6.11 send it (BAD 7.2.1.6.10): ECS70 to the ESME (DLMS, class 8
# clock object) and GCS28 to the GSME (ASN.1). The meter's clock follows its CHF's time; the command carries a
# validity window and the meter answers with its time and whether that time lies inside the window.
#
# ECS70 request (RTDS 6.11): set attr 9 (enum), action 5 {preset, validity start, validity end}, action 4, get
# attr 2 (time), get attr 4 (status). Success: results all 0, data time (weekday, deviation and status unspecified,
# as RTDS has them) and status 0. Outside the window: the RTDS ERROR layout (gets fail with results 1 and 250).
# GCS28 request: SEQUENCE {GeneralizedTime start, GeneralizedTime end}; response SEQUENCE {GeneralizedTime meter
# time, INTEGER 0 inside / 2 outside the window} (RTDS SUCCESS / ERROR).
from firmware.cosem import _civil
from firmware.gbcs import der, dlms
from firmware.gbcs.errors import ParseError

ECS70 = 0x0062
GCS28 = 0x007F
CLOCK_CLASS = 8
CLOCK_OBIS = b"\x00\x00\x01\x00\x00\xff"
PRESET_ADJUSTING_TIME = 5
GCS28_OUTSIDE_WINDOW = 2


def fields(utc_ms):
    """(year, month, day, hour, minute, second) of `utc_ms`."""
    secs = utc_ms // 1000
    days, rem = divmod(secs, 86400)
    y, m, d = _civil(days)
    return (y, m, d, rem // 3600, (rem // 60) % 60, rem % 60)


def cosem_time(utc_ms):
    """A COSEM date-time as the ESME reports it in RTDS: weekday, hundredths, deviation and status unspecified."""
    y, m, d, hh, mm, ss = fields(utc_ms)
    return bytes([y >> 8, y & 0xFF, m, d, 0xFF, hh, mm, ss, 0x00, 0x80, 0x00, 0xFF])


def _cosem_fields(dt, field):
    if not isinstance(dt, (bytes, bytearray)) or len(dt) != 12:
        raise ParseError("validity time is not a 12-octet COSEM date-time", field, 0)
    return ((dt[0] << 8) | dt[1], dt[2], dt[3], dt[5], dt[6], dt[7])


def ecs70(content, now_ms, invoke, usable=True):
    """The ECS70 response content for the meter's time `now_ms`; (content, inside the window). A CH time that is not
    `usable` (the CH has no valid time) is answered as one outside the window: the clock is not set."""
    req = dlms.parse_access_request(content)
    window = None
    for spec, data in zip(req.specs, req.data):
        if spec[0] == dlms.ACTION and spec[1] == CLOCK_CLASS and spec[2] == CLOCK_OBIS \
                and spec[3] == PRESET_ADJUSTING_TIME and data[0] == dlms.STRUCTURE and len(data[1]) == 3:
            window = (_cosem_fields(data[1][1][1], "validity_start"), _cosem_fields(data[1][2][1], "validity_end"))
    if window is None:
        raise ParseError("no preset_adjusting_time action on the clock object", "ecs70", 0)
    inside = usable and window[0] <= fields(now_ms) <= window[1]
    data, results = [], []
    gets = 0
    for spec in req.specs:
        if spec[0] != dlms.GET:
            data.append((dlms.NULL, None))
            results.append((spec[0], 0))
            continue
        gets += 1
        if not inside:
            data.append((dlms.NULL, None))
            results.append((spec[0], 1 if gets == 1 else 250))
        elif spec[3] == 2:
            data.append((dlms.OCTET_STRING, cosem_time(now_ms)))
            results.append((spec[0], 0))
        else:
            data.append((0x11, 0))
            results.append((spec[0], 0))
    return dlms.build_access_response(invoke, data, results), inside


def gcs28(content, now_ms):
    """The GCS28 response content for the meter's time `now_ms`; (content, inside the window)."""
    tag, body, end = der.read(content)
    if tag != der.SEQUENCE or end != len(content):
        raise ParseError("GCS28 is not one SEQUENCE", "gcs28", 0)
    items = der.elements(body)
    if len(items) != 2 or items[0][0] != der.GENERALIZED_TIME or items[1][0] != der.GENERALIZED_TIME:
        raise ParseError("GCS28 is not {GeneralizedTime, GeneralizedTime}", "gcs28", 0)
    now = fields(now_ms)
    inside = der.decode_time(items[0][1]) <= now <= der.decode_time(items[1][1])
    status = 0 if inside else GCS28_OUTSIDE_WINDOW
    return der.sequence(der.generalized_time(*now), der.integer(status)), inside
