# The ESME's auxiliary load control switch calendar over GBCS (BAD 7.5.5): ECS46c (SRV 6.14.2) sets the switching
# calendar the board runs through firmware.supply_control (switching only while the supply is enabled, each
# switching delayed by a randomised offset within the Randomised Offset Limit).
#
# Layout, checked against the RTDS (6.14.2_ECS46c, tests/firmware/test_alcs_gbcs_rtds.py): DLMS sets of
#   class 1 (data) 0-0:94.44.0.21 ... attribute 2, one octet-string(8) per switch [I: the switch's HAN EUI, all zero
#       for the ESME's own ALCS]
#   class 11 (special days table) 0-1:11.0.3.255 attribute 2, array of {long-unsigned index, octet-string(5) date,
#       unsigned day id}
#   class 10 (schedule) 0-1:12.0.2.255 attribute 2, array of 10-element structures {long-unsigned index, boolean
#       enable, octet-string(6) script 0-0:10.0.103.255, long-unsigned script selector, octet-string(4) switch time
#       hh mm ss cc, long-unsigned validity window, bit-string(7) weekdays Monday first, bit-string(4) special
#       days, octet-string(5) begin date, octet-string(5) end date}
#   class 9000 0-0:94.44.128.26 / .128.35 attribute 6, octet-string(12) activation date-time
# response: one set result per set, 0 success.
# Inferred [I], in this one place: the script selector's high octet is the switch (1 = the ESME's own ALCS, others
# HAN-connected switches this board does not drive) and its low octet the action (1 on, 2 off); switch times are
# UTC; the calendar takes effect on receipt (the activation date-times, the validity windows, begin and end dates
# and special days are not emulated).
from firmware.gbcs import dlms
from firmware.gbcs.errors import ParseError

ECS46C = 0x0054
SWITCH_PREFIX = b"\x00\x00\x5e\x2c\x00"
SPECIAL_DAYS = (11, b"\x00\x01\x0b\x00\x03\xff", 2)
SCHEDULE = (10, b"\x00\x01\x0c\x00\x02\xff", 2)
ACTIVATION = (9000, b"\x00\x00\x5e\x2c\x80", 6)
ALCS_SCRIPTS = b"\x00\x00\x0a\x00\x67\xff"
OWN_SWITCH = 1
ON, OFF = 1, 2
_ENTRY = (0x12, 0x03, 0x09, 0x12, 0x09, 0x12, 0x04, 0x04, 0x09, 0x09)  # the schedule entry's element types


def handlers(role):
    """{message code: handler} for the ALCS calendar of `role` (an ESME with a supply)."""
    return {ECS46C: lambda msg: ecs46c(role, msg)}


def _known(spec):
    kind, cls, obis, attr = spec[0], spec[1], bytes(spec[2]), spec[3]
    if kind != dlms.SET:
        return False
    return (cls == 1 and obis[:5] == SWITCH_PREFIX and attr == 2) or (cls, obis, attr) in (SPECIAL_DAYS, SCHEDULE) \
        or (cls == ACTIVATION[0] and obis[:5] == ACTIVATION[1] and attr == ACTIVATION[2])


def schedule_entries(items):
    """The ESME's own switchings from the schedule's entries: [{"minute", "on", "days"}] ("days": the weekday
    bit-string's octet, Monday in the top bit)."""
    out = []
    for tag, entry in items:
        if tag != dlms.STRUCTURE or tuple(t for t, _ in entry) != _ENTRY:
            raise ParseError("a schedule entry is not the 10-element structure", "ecs46c", 0)
        enabled, script, selector, at, weekdays = entry[1][1], entry[2][1], entry[3][1], entry[4][1], entry[6][1]
        if script != ALCS_SCRIPTS or len(at) != 4 or selector & 0xFF not in (ON, OFF) or weekdays[0] != 7:
            raise ParseError("a schedule entry is not an ALCS switching", "ecs46c", 0)
        if at[0] > 23 or at[1] > 59:
            raise ParseError("switch time %r is not a time of day" % (at,), "ecs46c", 0)
        if enabled and selector >> 8 == OWN_SWITCH:
            out.append({"minute": at[0] * 60 + at[1], "on": selector & 0xFF == ON, "days": weekdays[1][0] & 0xFE})
    return out


def ecs46c(role, msg):
    """Set the ALCS calendar: the schedule replaces the one the board runs; answered with a result per set."""
    req = dlms.parse_access_request(msg.content)
    schedule = None
    for spec, (tag, value) in zip(req.specs, req.data):
        if not _known(spec):
            raise ParseError("not an ALCS calendar setting", "ecs46c", 0)
        if (spec[1], bytes(spec[2]), spec[3]) == SCHEDULE:
            if tag != dlms.ARRAY:
                raise ParseError("the schedule is not an array", "ecs46c", 0)
            schedule = schedule_entries(value)
    if schedule is None or len(req.specs) != len(req.data):
        raise ParseError("no ALCS schedule", "ecs46c", 0)
    role.configure_supply({"alc_schedule": schedule})
    n = len(req.specs)
    return dlms.build_access_response(dlms.invoke_id(msg.counter), [(dlms.NULL, None)] * n, [(dlms.SET, 0)] * n)
