# The ESME's MPAN(s), set by SRV 6.20.1 (ECS39a import, ECS39b export) and read by SRV 6.2.7 (ECS40), BAD 7.2.1.6.11.
# ECS40 (RTDS 6.2.7): get attribute 2 of class 1 (data) objects 0-0:94.44.34.11 (import MPAN) and 1-0:0.0.2.255
# (export MPAN); an object never set reads as results 1 / 250 with null data (the RTDS ERROR layout).
# [I] ECS39a/b: DLMS set of attribute 2 of the same objects with an octet-string (no RTDS sample).
import binascii

from firmware.gbcs import dlms

ECS39A, ECS39B, ECS40 = 0x004C, 0x004D, 0x004E
DATA_CLASS = 1
OBJECTS = (b"\x00\x00\x5e\x2c\x22\x0b", b"\x01\x00\x00\x00\x02\xff")
OTHER_REASON = 250


def _ours(spec):
    return spec[1] == DATA_CLASS and spec[2] in OBJECTS and spec[3] == 2


def set_mpxn(store, content, invoke):
    """Store the MPANs an ECS39a/b sets in `store` {OBIS hex: value hex}; the access-response."""
    req = dlms.parse_access_request(content)
    results = []
    for spec, data in zip(req.specs, req.data):
        ok = spec[0] == dlms.SET and _ours(spec) and data[0] == dlms.OCTET_STRING
        if ok:
            store[binascii.hexlify(spec[2]).decode()] = binascii.hexlify(data[1]).decode()
        results.append((spec[0], 0 if ok else OTHER_REASON))
    return dlms.build_access_response(invoke, [(dlms.NULL, None)] * len(results), results)


def read_mpxn(store, content, invoke):
    """The ECS40 access-response for the MPANs in `store`."""
    req = dlms.parse_access_request(content)
    data, results = [], []
    for i, spec in enumerate(req.specs):
        value = store.get(binascii.hexlify(spec[2]).decode()) if spec[0] == dlms.GET and _ours(spec) else None
        if value is None:
            data.append((dlms.NULL, None))
            results.append((spec[0], 1 if i == 0 else OTHER_REASON))
        else:
            data.append((dlms.OCTET_STRING, binascii.unhexlify(value)))
            results.append((spec[0], 0))
    return dlms.build_access_response(invoke, data, results)
