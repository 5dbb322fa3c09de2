# The ESME's alert behaviours (BAD 7.5.6.1): SRV 6.22 (ECS25a2, non-critical, from the supplier) sets which of its
# non-critical alerts the meter sends; Critical alerts cannot be disabled. ECS25a2 as RTDS 6.22 has it: a DLMS set of
# attribute 2 of the class 1 object 0-30:97.98.13.255, a bit-string of 512 bits; the response is one set result.
# [I] Which alert each bit names is not in the reference material: the emulator takes bit n (most significant bit
# of the first octet is bit 0) to enable alert code 0x8000 + n (0x8000-0x81FF, where GBCS's non-critical codes lie);
# a bit set sends the alert, a bit clear does not. Critical alerts (0x8Fxx) are sent whatever the filter says.
import binascii

from firmware.gbcs import dlms

ECS25A2 = 0x00EB
FILTER_OBIS = b"\x00\x1e\x61\x62\x0d\xff"
DATA_CLASS, VALUE, FILTER_BITS = 1, 2, 512
FIRST_CODE = 0x8000
OTHER_REASON = 250
DEFECTS = {"critical_alerts_filterable": "stops sending its critical alerts too once SRV 6.22 has disabled every "
                                         "alert its filter names",
           "alert_filter_ignored": "answers SRV 6.22 with success but keeps sending the alerts it disabled"}


def set_filter(state, content, invoke, defects=()):
    """ECS25a2: store the alert filter in `state` ("alert_filter", hex); the access-response."""
    req = dlms.parse_access_request(content)
    results = []
    for spec, data in zip(req.specs, req.data):
        ok = spec[0] == dlms.SET and spec[1] == DATA_CLASS and spec[2] == FILTER_OBIS and spec[3] == VALUE \
            and data[0] == dlms.BIT_STRING and data[1][0] == FILTER_BITS
        if ok and "alert_filter_ignored" not in defects:
            state["alert_filter"] = binascii.hexlify(data[1][1]).decode()
        results.append((dlms.SET, 0 if ok else OTHER_REASON))
    return dlms.build_access_response(invoke, [(dlms.NULL, None)] * len(results), results)


def enabled(state, code, defects=()):
    """Whether the meter sends alert `code` under the filter in `state` (every alert until SRV 6.22 sets one)."""
    held = state.get("alert_filter")
    if held is None:
        return True
    bits = binascii.unhexlify(held)
    if code >> 8 == 0x8F:
        return "critical_alerts_filterable" not in defects or any(bits)
    n = code - FIRST_CODE
    if n < 0 or n >= FILTER_BITS:
        return True
    return bool(bits[n >> 3] & (0x80 >> (n & 7)))


def handlers(role):
    """{ECS25a2: handler(msg)} for a meter role."""

    def configure(msg):
        defects = [name for name in DEFECTS if role.defect(name)]
        content = set_filter(role.state, msg.content, dlms.invoke_id(msg.counter), defects)
        role.save()
        return content

    return {ECS25A2: configure}
