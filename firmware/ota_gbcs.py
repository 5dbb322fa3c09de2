# GBCS payloads of firmware on a device (GBCS section 4; byte-checked against RTDS 11.3_CS06 and NA_FDRA-DLMS):
#  - CS06 Activate Firmware (0x0012): SEQUENCE { manufacturerImageHash OCTET STRING(32), originatorCounter INTEGER,
#    executionDateTime GeneralizedTime OPTIONAL }; response NULL (stored for later) or SEQUENCE { responseCode
#    INTEGER, firmwareVersion OCTET STRING(4) };
#  - alert 0x00CA when a future-dated activation runs: SEQUENCE { alertCode INTEGER (0x8F66 / 0x8F67),
#    executionDateTime, originatorCounter, SEQUENCE { responseCode, firmwareVersion } };
#  - the Firmware Distribution Receipt alert 0x00CE (DLMS): data-notification { alert code long-unsigned
#    (0x8F72 / 0x8F1C), date-time octet-string(12), Calculated Manufacturer Hash octet-string(32) };
#  - the receipt 0x00CF (GBZ) [I: INFERRED beyond "the last 32 bytes of the GBZ alert are the hash" (gbcs.md 4)]:
#    a GBZ alert header with no components (alert code 0x8F72 / 0x8F1C, time since 2000), then the Calculated
#    Manufacturer Hash (32 octets) as its trailer (harness/gbcs/gbz.py keeps such a trailer as `alert_data`);
#  - the CHF's CCS08 Firmware Transfer Alert (0x0128): SEQUENCE { alertCode INTEGER, executionDateTime,
#    entityId OCTET STRING(8), firmwareVersion OCTET STRING, responseCode INTEGER (0 success, 1 image discarded,
#    2 hardware version mismatch, 3 file transfer failure) } [structure S: gbcs.md 4; alert code I: see below].
#  - ECS52 Read Firmware Version (0x0059, SRV 11.2) [I: INFERRED, no RTDS sample in the rig's sources: a DLMS get of
#    attribute 2 of the class 1 (data) object 1-0:0.2.0.255, the active firmware identifier, read as the 4-octet
#    file version; correct ACTIVE_FIRMWARE here and in harness/dcc/firmware.py].
#  - GCS38 Read Firmware Version (0x0084, GBZ) [I: INFERRED, no RTDS sample in the rig's sources: one component,
#    ZCL Read Attributes (0x00) on the OTA cluster (0x0019) of CurrentFileVersion (0x0002); the answer a Read
#    Attributes Response (0x01) with the attribute as uint32 (0x23); correct here and in harness/dcc/firmware.py].
#  - CS08 Read PPMID/HCALCS Firmware Version (0x0129): the command is a bare NULL `05 00` (gbcs.md 1.6); the response
#    [I: INFERRED from "version octet-string plus code" (gbcs.md 4), no RTDS sample in the rig's sources]: SEQUENCE
#    { firmwareVersion OCTET STRING(4), responseCode INTEGER (0) }; correct here and in harness/dcc/firmware.py.
# `cs06(ota, msg)` is the handler a role's GBCS dispatch calls after its own checks (signature, MAC, counter).
# Runs under MicroPython and CPython.
import binascii

from firmware import cosem
from firmware.gbcs import der, dlms
from firmware.gbcs.errors import ParseError

CS06 = 0x0012
ECS52 = 0x0059
GCS38 = 0x0084
CS08 = 0x0129
OTA_CLUSTER, CURRENT_FILE_VERSION = 0x0019, 0x0002  # [I]
ACTIVE_FIRMWARE = b"\x01\x00\x00\x02\x00\xff"  # OBIS 1-0:0.2.0.255 [I]
FDRA_DLMS, FDRA_GBZ = 0x00CE, 0x00CF
FUTURE_DATED_FIRMWARE_ALERT = 0x00CA
CCS08 = 0x0128
CCS08_ALERT_CODE = 0x8F84  # [I: INFERRED: the rig's sources do not give CCS08's alert code; correct it here]
TRANSFER_SUCCESS, IMAGE_DISCARDED, HARDWARE_MISMATCH, TRANSFER_FAILURE = 0, 1, 2, 3
ZIGBEE_EPOCH_MS = 946684800000  # GBZ alert times count seconds from 2000-01-01
NO_HASH = bytes(32)  # the receipt of an image refused before its hash was computed


def _days_from_civil(y, m, d):
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def time_to_ms(parts):
    y, mo, d, h, mi, s = parts
    return ((_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + s * 1000


def ms_to_time(utc_ms):
    days, rem = divmod(utc_ms // 1000, 86400)
    y, m, d = cosem._civil(days)
    return der.generalized_time(y, m, d, rem // 3600, (rem // 60) % 60, rem % 60)


def version_octets(file_version):
    return file_version.to_bytes(4, "big")


def parse_cs06(content):
    """(image hash, originator counter, execution time in UTC ms or None) of a CS06 payload."""
    body, end = der.expect(content, 0, der.SEQUENCE, "cs06")
    if end != len(content):
        raise ParseError("trailing octets", "cs06", end)
    items = der.elements(body)
    if len(items) not in (2, 3) or items[0][0] != der.OCTET_STRING or len(items[0][1]) != 32 \
            or items[1][0] != der.INTEGER or (len(items) == 3 and items[2][0] != der.GENERALIZED_TIME):
        raise ParseError("expected SEQUENCE {OCTET STRING(32), INTEGER, [GeneralizedTime]}", "cs06", 0)
    at = time_to_ms(der.decode_time(items[2][1], "cs06.executionDateTime")) if len(items) == 3 else None
    return items[0][1], der.decode_integer(items[1][1], "cs06.originatorCounter"), at


def outcome_sequence(outcome, file_version):
    return der.sequence(der.integer(outcome), der.octet_string(version_octets(file_version)))


def cs06(ota, msg):
    """Run a checked CS06 on the device's OTA client; the response payload."""
    image_hash, counter, at = parse_cs06(msg.content)
    outcome, file_version = ota.activate(image_hash, at, counter, msg.originator)
    if outcome == "stored":
        return der.null()
    return outcome_sequence(outcome, file_version)


def ecs52(ota, msg):
    """The ECS52 access-response: the running firmware's version for a get of the active firmware identifier."""
    req = dlms.parse_access_request(msg.content)
    data, results = [], []
    for spec in req.specs:
        if spec[0] == dlms.GET and spec[1] == 1 and bytes(spec[2]) == ACTIVE_FIRMWARE and spec[3] == 2:
            data.append((dlms.OCTET_STRING, version_octets(ota.file_version())))
            results.append((spec[0], 0))
        else:
            data.append((dlms.NULL, None))
            results.append((spec[0], 250))  # other reason
    return dlms.build_access_response(dlms.invoke_id(msg.counter), data, results)


def gcs38(ota, msg):
    """The GCS38 response: a Read Attributes Response with CurrentFileVersion (others: unsupported attribute)."""
    from firmware.gbcs import gbz

    comps = gbz.parse(msg.content).components
    if len(comps) != 1 or comps[0].cluster != OTA_CLUSTER or comps[0].command != 0x00 or comps[0].encrypted \
            or len(comps[0].payload) % 2:
        raise ParseError("expected one OTA cluster Read Attributes", "gcs38", 0)
    request = bytes(comps[0].payload)
    records = b""
    for i in range(0, len(request), 2):
        attribute = request[i:i + 2]
        if attribute == CURRENT_FILE_VERSION.to_bytes(2, "little"):
            records += attribute + b"\x00\x23" + ota.file_version().to_bytes(4, "little")
        else:
            records += attribute + b"\x86"  # UNSUPPORTED_ATTRIBUTE
    return gbz.build(gbz.Gbz([gbz.Component(OTA_CLUSTER, 0x08, comps[0].seq, 0x01, records)]))


def cs08(ota, msg):
    """The CS08 response: the running firmware's version and response code 0 [I: see the top of this file]."""
    if bytes(msg.content) != der.null():
        raise ParseError("expected NULL", "cs08", 0)
    return der.sequence(der.octet_string(version_octets(ota.file_version())), der.integer(0))


def activation_alert(alert_code, at_ms, counter, outcome, file_version):
    """The 0x00CA alert payload for a future-dated activation that has run."""
    return der.sequence(der.integer(alert_code), ms_to_time(at_ms), der.integer(counter),
                        outcome_sequence(outcome, file_version))


def fdra_dlms(alert_counter, date_time, alert_code, image_hash):
    """The 0x00CE receipt payload (DLMS data-notification) for the alert numbered `alert_counter`."""
    body = (dlms.STRUCTURE, [(0x12, alert_code), (dlms.OCTET_STRING, date_time),
                             (dlms.OCTET_STRING, image_hash or NO_HASH)])
    return dlms.build_data_notification(dlms.invoke_id(alert_counter), body)


def fdra_gbz(now_ms, alert_code, image_hash):
    """The 0x00CF receipt payload (a GBZ alert) [I: see the top of this file]."""
    from firmware.gbcs import gbz

    return gbz.build(gbz.Gbz([], alert_code, (now_ms - ZIGBEE_EPOCH_MS) // 1000)) + (image_hash or NO_HASH)


def fdra_for(receipt, alert_counter, now_ms, gbz=False):
    """(message code, payload) of the receipt alert for what the OTA client found (`ota.end`): 0x00CE (DLMS), or
    0x00CF for a GBZ device."""
    image_hash = binascii.unhexlify(receipt["hash"]) if receipt["hash"] else NO_HASH
    if gbz:
        return FDRA_GBZ, fdra_gbz(now_ms, receipt["alert"], image_hash)
    return FDRA_DLMS, fdra_dlms(alert_counter, cosem.date_time(now_ms), receipt["alert"], image_hash)


def ccs08(now_ms, device, file_version, response_code):
    """The CHF's CCS08 payload: how the transfer of an image (`file_version`) to `device` (8-octet EUI) ended."""
    return der.sequence(der.integer(CCS08_ALERT_CODE), ms_to_time(now_ms), der.octet_string(device),
                        der.octet_string(version_octets(file_version)), der.integer(response_code))
