# The GBCS commands of prepayment and supply control on a meter (BAD 7.3.2, 7.5.4): parse the checked command's
# content, apply it through the meter role (roles.prepay / roles.supply), and build the response content, DLMS on
# an ESME and GBZ on a GSME. A meter role with a GBCS side adds `handlers(role)` to its own handlers; each
# handler follows GbcsRole's contract: fn(msg) -> response content, Refused for "no response at all", ParseError
# for a malformed payload.
#
# Layouts, checked against the RTDS (tests/firmware/test_prepay_gbcs_rtds.py):
#   CS01a   action class 115 (token gateway) 0-0:19.40.0.255 method 1, octet-string of the 20 UTRN digits
#   ECS09   action class 112 (account) 0-0:19.10.1.255 method 3, integer 0  (activate emergency credit)
#   ECS42   action class 9 (script table) 0-0:10.0.106.255 method 1, long-unsigned 0x0033 (enable supply)
#   ECS43   the same with script 0x0034 (disable supply)
#   ECS44   the same with script 0x0035 (arm supply) [I: no RTDS ECS44; the next script of the same table]
#   ECS28a  eight sets on class 9000 [I: the RTDS's; the names inferred]: attribute 4 of 0-0:94.44.0.3 (boolean: the
#           supply is disabled then armed on a breach), 0-0:94.44.128.7 (double-long-unsigned threshold, W),
#           0-0:94.44.128.6 (restoration period, s), 0-0:94.44.128.8 (load limit period, s); then attribute 6 of each
#           (activation date-time), taken as "now" [I: future-dated activation is not emulated]; response: eight
#           set results
#   ECS81   set class 1 (data) 0-0:94.44.0.4 attribute 2, boolean (TRUE: a tamper disables and locks)
#   ECS08   (SRV 2.1) the RTDS's eighteen sets: the special days table (class 11, 0-1:11.0.2.255 attribute 2) and
#           the schedule (class 10, 0-1:12.0.1.255 attribute 2) that make the non-disablement calendar
#           (firmware.nd_calendar), applied; and sixteen class 9000 0-0:94.44.x.y values and activation times
#           (credit thresholds and debt recovery cap), answered but NOT applied [I: the rig does not know their
#           units; the meter keeps its factory values]. Response: one set result per set, 0 success.
#   ECS02 / ECS03  (SRV 1.6 on an ESME) set class 111 (account) 0-0:19.0.0.255 attribute 2 (account_mode_and_status):
#           structure {enum payment mode, 1 credit / 2 prepayment, enum account status 2 active}, taking effect now
#           [I: no RTDS ECS02/ECS03; the attribute ECS26j (RTDS 6.2.9) reads]; response one set result, 0 success.
#           The balance and debt are kept (firmware.credit).
#   ECS26j  get that attribute; response the structure and one get result 0 (RTDS).
#   DLMS response: one action result, 0 success, 1 refused.
#   CS01b / PCS01  GBZ Prepayment cluster (0x0705) Consumer Top Up (0x04): origin | 0x14 | 20 digits; response
#           Consumer Top Up Response (0x03): result | value i32 | source | credit remaining i32, amounts in
#           thousandths of a penny [I: the RTDS PCS01 response answers a 2025-penny UTRN with 2025000].
#   GCS32 / GCS39  GBZ Metering cluster (0x0702) Change Supply (0x0B): provider id u32 | issuer event id u32 |
#           request time u32 | implementation time u32 | proposed supply status u8 (0 off, 1 armed) | control bits
#           u8; response Supply Status Response (0x0C): provider id | issuer event id | implementation time | the
#           supply status now (0 off, 1 armed, 2 on) [I: no RTDS GCS32/GCS39; ZSE 1.4 D.3 layouts]. A GSME takes no
#           other proposed status: it is never enabled remotely (BAD 7.5.4.6.1).
#   GCS02 / GCS03  GBZ Prepayment cluster Change Payment Mode (0x06): provider id u32 | issuer event id u32 |
#           implementation time u32 | payment control configuration bitmap16 (bit 1: prepayment enabled; the RTDS
#           GCS02 sends 0x0C94, GCS03 taken as the same with bit 1 set [I]) | cut off value i32; response Change
#           Payment Mode Response (0x02): friendly credit u8 | its calendar id u32 | EC limit u32 | EC threshold u32,
#           amounts in thousandths of a penny (RTDS). The implementation time is taken as "now" [I].
#   GCS06 / PCS02  GBZ Select Available Emergency Credit (0x00): issue time u32 | origin; response ZCL Default
#           Response (0x0B): command 0x00 | status 0x00 success, 0xC0 refused.
# [I] The command counter of CS01a/CS01b must be the UTRN's counter (gbcs.md 3.2); a UTRN whose counter differs is
# refused like any other bad UTRN. PCS01/PCS02 come from a PPMID, processed only when it is in the meter's log.
#
# What a meter sends unasked (BAD 7.3.2.5.5): a UTRN applied locally (keypad or PPMID) is answered to its supplier
# with the CS01a/CS01b response it would give the DCC, under the UTRN's counter, whatever the outcome; device
# alerts go to the supplier as Generic Alerts, RTDS layouts: DLMS data-notification {long-unsigned alert code,
# octet-string date-time} (GNCA-DLMS 810E), GBZ alert header with no component (GNCA-ZigBee 810E).
# [I] 0x8Fxx alerts go as Generic Critical Alerts (signed), the others as Generic Non-Critical Alerts (MAC'd).
from firmware import cosem, credit
from firmware.gbcs import dlms, frame, gbz
from firmware.gbcs.errors import ParseError
from firmware.roles.gbcs_role import Refused
from firmware.roles.prepay import zse_result
from firmware.supply_control import SupplyRefused

CS01A = 0x0007
CS01B = 0x0097
ECS02 = 0x001A
ECS03 = 0x001B
ECS08 = 0x001F
ECS26J = 0x00BE
ECS09 = 0x0020
ECS42 = 0x004F
ECS43 = 0x0050
ECS28A = 0x0043
ECS44 = 0x0051
ECS81 = 0x0068
GCS32 = 0x0081
GCS39 = 0x0085
GCS02 = 0x006C
GCS03 = 0x006D
GCS06 = 0x0070
PCS01 = 0x009B
PCS02 = 0x0090

TOKEN_GATEWAY = (115, b"\x00\x00\x13\x28\x00\xff", 1)
ACCOUNT_EC = (112, b"\x00\x00\x13\x0a\x01\xff", 3)
ACCOUNT_MODE = (111, b"\x00\x00\x13\x00\x00\xff", 2)
DLMS_MODES = {credit.CREDIT: 1, credit.PREPAYMENT: 2}
ACCOUNT_ACTIVE = 2
SUPPLY_SCRIPTS = (9, b"\x00\x00\x0a\x00\x6a\xff", 1)
SCRIPT_ENABLE = 0x0033
SCRIPT_DISABLE = 0x0034
SCRIPT_ARM = 0x0035
TAMPER_STATE = (1, b"\x00\x00\x5e\x2c\x00\x04", 2)
LOAD_LIMIT = (9000, b"\x00\x00\x5e\x2c", {b"\x00\x03": "load_limit_disable", b"\x80\x07": "load_limit_w",
                                                b"\x80\x06": "load_limit_restore_s", b"\x80\x08": "load_limit_period_s"})
METERING_CLUSTER = 0x0702
CHANGE_SUPPLY = 0x0B
SUPPLY_STATUS_RESPONSE = 0x0C
SUPPLY_OFF, SUPPLY_ARMED, SUPPLY_ON = 0, 1, 2
PREPAYMENT_CLUSTER = 0x0705
TOP_UP = 0x04
TOP_UP_RESPONSE = 0x03
SELECT_EC = 0x00
CHANGE_PAYMENT_MODE = 0x06
CHANGE_PAYMENT_MODE_RESPONSE = 0x02
PREPAYMENT_ENABLED = 0x0002
DEFAULT_RESPONSE = 0x0B
STATUS_REFUSED = 0xC0
MILLI = 1000
GENERIC_CRITICAL_ALERT = 0x1000
GENERIC_NON_CRITICAL_ALERT = 0x1001
ORIGIN_METER = 0x01
ZCL_EPOCH_S = 946684800  # 2000-01-01T00:00:00Z, the origin of GBZ alert timestamps


def handlers(role):
    """{message code: handler} for the prepayment and supply commands of `role` (an ESME or a GSME)."""
    if role.name == "gsme":
        return {CS01B: lambda msg: gbz_top_up(role, msg), PCS01: lambda msg: gbz_top_up(role, msg),
                GCS06: lambda msg: gbz_select_ec(role, msg), PCS02: lambda msg: gbz_select_ec(role, msg),
                GCS02: lambda msg: gbz_payment_mode(role, msg, credit.CREDIT),
                GCS03: lambda msg: gbz_payment_mode(role, msg, credit.PREPAYMENT),
                GCS32: lambda msg: change_supply(role, msg, SUPPLY_OFF),
                GCS39: lambda msg: change_supply(role, msg, SUPPLY_ARMED)}
    return {CS01A: lambda msg: cs01a(role, msg), ECS09: lambda msg: ecs09(role, msg),
            ECS42: lambda msg: supply_script(role, msg, SCRIPT_ENABLE),
            ECS43: lambda msg: supply_script(role, msg, SCRIPT_DISABLE),
            ECS44: lambda msg: supply_script(role, msg, SCRIPT_ARM), ECS81: lambda msg: ecs81(role, msg),
            ECS28A: lambda msg: ecs28a(role, msg), ECS08: lambda msg: ecs08(role, msg),
            ECS02: lambda msg: dlms_payment_mode(role, msg, credit.CREDIT),
            ECS03: lambda msg: dlms_payment_mode(role, msg, credit.PREPAYMENT),
            ECS26J: lambda msg: ecs26j(role, msg)}


def _top_up(role, msg, text):
    """Credit the UTRN `text` carried by `msg` once: from the DCC (CS01a/CS01b, whose counter must be the UTRN's)
    or from a PPMID (PCS01, a local top-up). The role's top-up result (accepted, or the reason)."""
    if msg.message_code == PCS01:
        return role.top_up(text, "ppmid")
    from firmware import utrn

    try:
        tok = utrn.decode(text)
    except utrn.UtrnRejected as e:
        return {"accepted": False, "reason": e.reason}
    counter = msg.counter_int()
    if counter & 0xFFFFFFFF or (counter >> 32) & 0x3FF != tok.counter10:
        return {"accepted": False, "reason": "counter_mismatch"}
    return role.remote_top_up(text)


def _action(req, expected, field):
    """The data of the single action `expected` (class, OBIS, method) in an access request."""
    if len(req.specs) != 1:
        raise ParseError("expected one action", field, 0)
    kind, cls, obis, method = req.specs[0][0], req.specs[0][1], req.specs[0][2], req.specs[0][3]
    if kind != dlms.ACTION or (cls, bytes(obis), method) != expected:
        raise ParseError("not the expected action", field, 0)
    return req.data[0]


def _dlms_result(msg, ok):
    return dlms.build_access_response(dlms.invoke_id(msg.counter), [(dlms.NULL, None)],
                                      [(dlms.ACTION, 0 if ok else 1)])


def _top_up_response(role, seq, result, origin):
    """GBZ Consumer Top Up Response content for a top-up result."""
    body = (bytes([zse_result(result["reason"])]) + _i32(result.get("amount", 0) * MILLI) + bytes([origin])
            + _i32(role.account.combined() * MILLI))
    return gbz.build(gbz.Gbz([gbz.Component(PREPAYMENT_CLUSTER, 0x09, seq, TOP_UP_RESPONSE, body)]))


def cs01a(role, msg):
    tag, value = _action(dlms.parse_access_request(msg.content), TOKEN_GATEWAY, "cs01a")
    if tag != dlms.OCTET_STRING:
        raise ParseError("UTRN must be an octet-string", "cs01a", 0)
    return _dlms_result(msg, _top_up(role, msg, bytes(value).decode())["accepted"])


def ecs09(role, msg):
    _action(dlms.parse_access_request(msg.content), ACCOUNT_EC, "ecs09")
    try:
        role.remote_ec()
    except credit.CreditRefused:
        return _dlms_result(msg, False)
    return _dlms_result(msg, True)


def supply_script(role, msg, script):
    tag, value = _action(dlms.parse_access_request(msg.content), SUPPLY_SCRIPTS, "supply_script")
    if tag != 0x12 or value != script:
        raise ParseError("script %r is not this command's" % (value,), "supply_script", 0)
    run = {SCRIPT_ENABLE: role.remote_enable, SCRIPT_DISABLE: role.remote_disable, SCRIPT_ARM: role.remote_arm}
    try:
        run[script]()
    except SupplyRefused:
        return _dlms_result(msg, False)
    return _dlms_result(msg, True)


def ecs81(role, msg):
    """Set the supply tamper state: TRUE, a tamper disables and locks the supply (0x81BE)."""
    req = dlms.parse_access_request(msg.content)
    if len(req.specs) != 1 or tuple(req.specs[0][:3]) != (dlms.SET, TAMPER_STATE[0], TAMPER_STATE[1]) \
            or req.specs[0][3] != TAMPER_STATE[2] or req.data[0][0] != 0x03:
        raise ParseError("not the supply tamper state boolean", "ecs81", 0)
    role.configure_supply({"tamper_lock": bool(req.data[0][1])})
    return dlms.build_access_response(dlms.invoke_id(msg.counter), [(dlms.NULL, None)], [(dlms.SET, 0)])


def ecs28a(role, msg):
    """Load limiting general settings: the four values (attribute 4) are applied on receipt."""
    req = dlms.parse_access_request(msg.content)
    cls, prefix, names = LOAD_LIMIT
    values = {}
    for spec, (tag, value) in zip(req.specs, req.data):
        name = names.get(bytes(spec[2][4:]))
        if spec[0] != dlms.SET or spec[1] != cls or bytes(spec[2][:4]) != prefix or name is None:
            raise ParseError("not a load limit setting", "ecs28a", 0)
        if spec[3] == 4:
            values[name] = bool(value) if tag == dlms.BOOLEAN else value
    if len(values) != 4 or len(req.specs) != len(req.data):
        raise ParseError("expected the four load limit settings", "ecs28a", 0)
    role.configure_supply(values)
    n = len(req.specs)
    return dlms.build_access_response(dlms.invoke_id(msg.counter), [(dlms.NULL, None)] * n, [(dlms.SET, 0)] * n)


def _account_spec(req, kind, field):
    if len(req.specs) != 1 or tuple(req.specs[0][:2]) != (kind, ACCOUNT_MODE[0]) \
            or bytes(req.specs[0][2]) != ACCOUNT_MODE[1] or req.specs[0][3] != ACCOUNT_MODE[2]:
        raise ParseError("not the account's account_mode_and_status", field, 0)


def dlms_payment_mode(role, msg, mode):
    """ECS02 (credit mode) / ECS03 (prepayment mode): the balance and debt are kept (BAD 7.3.2)."""
    req = dlms.parse_access_request(msg.content)
    _account_spec(req, dlms.SET, "ecs02")
    tag, fields = req.data[0]
    if tag != dlms.STRUCTURE or len(fields) != 2 or fields[0] != (dlms.ENUM, DLMS_MODES[mode]):
        raise ParseError("payment mode is not this command's", "ecs02", 0)
    role.set_payment_mode(mode)
    return dlms.build_access_response(dlms.invoke_id(msg.counter), [(dlms.NULL, None)], [(dlms.SET, 0)])


def ecs26j(role, msg):
    """Read the payment mode (account_mode_and_status)."""
    _account_spec(dlms.parse_access_request(msg.content), dlms.GET, "ecs26j")
    body = (dlms.STRUCTURE, [(dlms.ENUM, DLMS_MODES[role.account.s["mode"]]), (dlms.ENUM, ACCOUNT_ACTIVE)])
    return dlms.build_access_response(dlms.invoke_id(msg.counter), [body], [(dlms.GET, 0)])


def ecs08(role, msg):
    """SRV 2.1 Update Prepay Configuration: the non-disablement calendar is applied (see the header)."""
    from firmware import nd_calendar

    req = dlms.parse_access_request(msg.content)
    if not req.specs or len(req.specs) != len(req.data):
        raise ParseError("expected one value per set", "ecs08", 0)
    calendar = {}
    for spec, value in zip(req.specs, req.data):
        key = (spec[1], bytes(spec[2]), spec[3])
        try:
            if spec[0] != dlms.SET:
                raise nd_calendar.CalendarError("not a set")
            if key == nd_calendar.SCHEDULE:
                calendar["entries"] = nd_calendar.schedule(value)
            elif key == nd_calendar.SPECIAL_DAYS:
                calendar["special"] = nd_calendar.special_days(value)
            elif spec[1] != 9000 or bytes(spec[2][:4]) != LOAD_LIMIT[1]:
                raise nd_calendar.CalendarError("not a prepayment configuration value")
        except nd_calendar.CalendarError as e:
            raise ParseError(str(e), "ecs08", 0)
    role.set_calendar(calendar)
    n = len(req.specs)
    return dlms.build_access_response(dlms.invoke_id(msg.counter), [(dlms.NULL, None)] * n, [(dlms.SET, 0)] * n)


def change_supply(role, msg, proposed):
    """GCS32 (off) / GCS39 (armed): the Change Supply's proposed status must be this command's; the response
    says the supply status after it (unchanged when a precondition was not met)."""
    comps = gbz.parse(msg.content).components
    if len(comps) != 1 or comps[0].cluster != METERING_CLUSTER or comps[0].command != CHANGE_SUPPLY \
            or comps[0].encrypted or len(comps[0].payload) != 18:
        raise ParseError("expected one Metering cluster Change Supply", "gbz", 0)
    p = bytes(comps[0].payload)
    if p[16] != proposed:
        raise ParseError("proposed supply status %d is not this command's" % p[16], "change_supply", 16)
    try:
        (role.remote_disable if proposed == SUPPLY_OFF else role.remote_arm)()
    except SupplyRefused:
        pass
    state = role.supply.s["state"]
    status = SUPPLY_ON if role.supply.on() else (SUPPLY_ARMED if state == "armed" else SUPPLY_OFF)
    now = (role.hal.clock.now_ms() // 1000 - ZCL_EPOCH_S) & 0xFFFFFFFF
    body = p[0:8] + now.to_bytes(4, "little") + bytes([status])
    return gbz.build(gbz.Gbz([gbz.Component(METERING_CLUSTER, 0x09, comps[0].seq, SUPPLY_STATUS_RESPONSE,
                                            body)]))


def _component(msg, command):
    """The single Prepayment cluster component of a GBZ command, checked to carry `command`."""
    comps = gbz.parse(msg.content).components
    if len(comps) != 1 or comps[0].cluster != PREPAYMENT_CLUSTER or comps[0].command != command \
            or comps[0].encrypted:
        raise ParseError("expected one Prepayment cluster command 0x%02X" % command, "gbz", 0)
    return comps[0]


def _from_ppmid(role, msg):
    if msg.message_code in (PCS01, PCS02) and not role.han_allowed(_hex(msg.originator)):
        raise Refused("not_in_device_log", "%s is not in this meter's device log" % _hex(msg.originator))


def _i32(value):
    return (value & 0xFFFFFFFF).to_bytes(4, "little")


def _hex(data):
    return "".join("%02X" % b for b in data)


def gbz_top_up(role, msg):
    comp = _component(msg, TOP_UP)
    _from_ppmid(role, msg)
    p = bytes(comp.payload)
    if len(p) < 2 or p[1] != len(p) - 2:
        raise ParseError("top up code length", "gbz_top_up", 0)
    return _top_up_response(role, comp.seq, _top_up(role, msg, p[2:].decode()), p[0])


def gbz_payment_mode(role, msg, mode):
    """GCS02 (credit mode) / GCS03 (prepayment mode): the balance and debt are kept (BAD 7.3.2)."""
    comp = _component(msg, CHANGE_PAYMENT_MODE)
    p = bytes(comp.payload)
    if len(p) != 18:
        raise ParseError("Change Payment Mode is 18 octets", "gcs02", 0)
    prepay = bool(int.from_bytes(p[12:14], "little") & PREPAYMENT_ENABLED)
    if prepay != (mode == credit.PREPAYMENT):
        raise ParseError("payment control configuration is not this command's mode", "gcs02", 12)
    role.set_payment_mode(mode)
    s = role.account.s
    friendly = 1 if s["non_disablement"] or s["special_days"] else 0
    body = bytes([friendly]) + _i32(0) + _i32(s["ec_limit"] * MILLI) + _i32(s["ec_threshold"] * MILLI)
    return gbz.build(gbz.Gbz([gbz.Component(PREPAYMENT_CLUSTER, 0x19, comp.seq, CHANGE_PAYMENT_MODE_RESPONSE, body)]))


def gbz_select_ec(role, msg):
    comp = _component(msg, SELECT_EC)
    _from_ppmid(role, msg)
    if msg.message_code == PCS02:  # the consumer at the PPMID: a local activation
        status = 0x00 if role.ppmid_ec() else STATUS_REFUSED
    else:
        try:
            role.remote_ec()
            status = 0x00
        except credit.CreditRefused:
            status = STATUS_REFUSED
    return gbz.build(gbz.Gbz([gbz.Component(PREPAYMENT_CLUSTER, 0x08, comp.seq, DEFAULT_RESPONSE,
                                            bytes([SELECT_EC, status]))]))


# ---------------------------------------------------------------------- what the meter sends unasked
class _Origin:
    """The command a local top-up is answered as: its supplier's CS01a/CS01b under the UTRN's counter."""

    def __init__(self, supplier, counter, code):
        self.originator = supplier
        self.counter = counter.to_bytes(8, "big")
        self.other_info = frame.build_other_info(code)
        self.supp_cert = None


def send_local_top_up_response(role, supplier, result):
    """Send the CS01a/CS01b response of a UTRN applied locally (nothing when the UTRN gave no counter)."""
    counter = result.get("counter")
    if counter is None:
        return None
    origin = _Origin(supplier, counter, CS01B if role.name == "gsme" else CS01A)
    if role.name == "gsme":
        content = _top_up_response(role, 0, result, ORIGIN_METER if result["source"] == "keypad" else 0x02)
    else:
        content = _dlms_result(origin, result["accepted"])
    data = role.gbcs.build_response(origin, content)
    role.uplink({"hex": _hex(data), "code": CS01B if role.name == "gsme" else CS01A})
    return data


def alert_content(role, code, now_ms, counter):
    """A Generic Alert's content for device alert `code` at `now_ms` (DLMS on an ESME, GBZ on a GSME)."""
    if role.name == "gsme":
        return gbz.build(gbz.Gbz([], alert_code=code, timestamp=now_ms // 1000 - ZCL_EPOCH_S))
    body = (dlms.STRUCTURE, [(0x12, code), (dlms.OCTET_STRING, cosem.date_time(now_ms))])
    return dlms.build_data_notification(dlms.invoke_id(counter), body)


def send_device_alert(role, supplier, code):
    """Device alert `code` to `supplier` as a Generic (Critical) Alert."""
    critical = code >> 8 == 0x8F
    content = alert_content(role, code, role.hal.clock.now_ms(), role.gbcs.alert_counter + 1)
    return role.send_alert(supplier, GENERIC_CRITICAL_ALERT if critical else GENERIC_NON_CRITICAL_ALERT, content,
                           critical)
