# The ESME's event and security logs over GBCS (BAD 7.5.7.5.1): SRV 6.13 reads them (ECS35a event log 0-0:99.98.0.255,
# ECS35b security log 0-0:99.98.1.255: get-with-selection of the buffer by a range of times, answered with one
# compact-array of {double-long-unsigned seconds since 2000, long-unsigned event code[, octet-string]}, the RTDS
# layouts); SRV 3.3 clears the event log (ECS15a: method 1 reset of the profile generic, the RTDS ECS15c layout on
# the event log [I]). The security log cannot be cleared: a reset naming it is answered read-write-denied [I: result
# code] and changes nothing.
#
# The logs themselves are the device role's (firmware/roles/device_gbcs.py): events [ms, code, message code or None,
# originator], security entries [ms, reason, message code or None, originator].
from firmware.gbcs import dlms

ECS15A, ECS35A, ECS35B = 0x0024, 0x0048, 0x0049
EVENT_LOG = b"\x00\x00\x63\x62\x00\xff"
SECURITY_LOG = b"\x00\x00\x63\x62\x01\xff"
LOGS = {EVENT_LOG: "events", SECURITY_LOG: "security"}
PROFILE_GENERIC, BUFFER, RESET, RANGE = 7, 2, 1, 1
SUCCESS, DENIED, OTHER_REASON = 0, 3, 250
GB_EPOCH_MS = 946684800000
SECURITY_EVENT = 0x8F3E  # [I] the security log's event code for a refused command ("unauthorised communication")
EVENT_TYPES = b"\x02\x03\x06\x12\x09"
SECURITY_TYPES = b"\x02\x02\x06\x12"
DEFECTS = {"security_log_clearable": "clears its security log when a reset (SRV 3.3 layout) names it",
           "event_log_not_cleared": "answers SRV 3.3 (ECS15a) with success but keeps its event log"}


def _seconds(ms):
    return max(0, (ms - GB_EPOCH_MS) // 1000)


def _range(selection):
    """(from, to) seconds since 2000 of a range descriptor, or None when it is not one."""
    if selection is None or selection[0] != RANGE:
        return None
    tag, items = selection[1]
    if tag != dlms.STRUCTURE or len(items) < 3 or items[1][0] != 0x06 or items[2][0] != 0x06:
        return None
    return items[1][1], items[2][1]


def _event_octets(entry):
    code = entry[2]
    return b"\x00" if code is None else b"\x02" + bytes([code >> 8 & 0xFF, code & 0xFF])


def compact(name, log, start, end):
    """The compact-array (type description, contents) of the entries of `log` (event or security) from `start` to
    `end` (seconds since 2000)."""
    out = b""
    for entry in log:
        t = _seconds(entry[0])
        if t < start or t > end:
            continue
        if name == "events":
            out += t.to_bytes(4, "big") + (entry[1] & 0xFFFF).to_bytes(2, "big") + _event_octets(entry)
        else:
            out += t.to_bytes(4, "big") + SECURITY_EVENT.to_bytes(2, "big")
    return (EVENT_TYPES if name == "events" else SECURITY_TYPES), out


def read(state, obis, content, invoke):
    """ECS35a / ECS35b: the access-response for the log at `obis` in `state`."""
    req = dlms.parse_access_request(content)
    data, results = [], []
    for spec in req.specs:
        name = LOGS.get(spec[2]) if spec[1] == PROFILE_GENERIC and spec[3] == BUFFER else None
        window = _range(spec[4]) if spec[0] == dlms.GET_SELECTIVE else None
        if name is None or spec[2] != obis or window is None:
            data.append((dlms.NULL, None))
            results.append((dlms.GET, OTHER_REASON))
            continue
        data.append((dlms.COMPACT_ARRAY, compact(name, state[name], window[0], window[1])))
        results.append((dlms.GET, SUCCESS))
    return dlms.build_access_response(invoke, data, results)


def clear(state, content, invoke, defects=()):
    """ECS15a: reset the event log; a reset naming the security log is denied (unless a defect allows it). The
    access-response, and whether `state` changed."""
    req = dlms.parse_access_request(content)
    results, changed = [], False
    for spec in req.specs:
        name = LOGS.get(spec[2]) if spec[0] == dlms.ACTION and spec[1] == PROFILE_GENERIC \
            and spec[3] == RESET else None
        if name == "security" and "security_log_clearable" not in defects:
            results.append((dlms.ACTION, DENIED))
            continue
        if name is None:
            results.append((dlms.ACTION, OTHER_REASON))
            continue
        if not (name == "events" and "event_log_not_cleared" in defects):
            del state[name][:]
            changed = True
        results.append((dlms.ACTION, SUCCESS))
    return dlms.build_access_response(invoke, [(dlms.NULL, None)] * len(results), results), changed


def handlers(role):
    """{message code: handler(msg)} for a device role whose state holds "events" and "security" logs."""

    def reader(obis):
        return lambda msg: read(role.state, obis, msg.content, dlms.invoke_id(msg.counter))

    def clear_log(msg):
        defects = [name for name in DEFECTS if role.defect(name)]
        content, changed = clear(role.state, msg.content, dlms.invoke_id(msg.counter), defects)
        if changed:
            role.save()
        return content

    return {ECS35A: reader(EVENT_LOG), ECS35B: reader(SECURITY_LOG), ECS15A: clear_log}
