"""DCC services of prepayment (BAD 7.3.2): SRV 2.2 Top Up Device (CS01a to an ESME, CS01b to a GSME) whose command
counter is the UTRN's counter, and reading what a meter reports on its own: the CS01a/b response of a UTRN applied
locally (which the DCC turns into its alert) and its device alerts (Generic Alerts 0x1000/0x1001).

Layouts (RTDS 2.2_CS01a, NA_GNCA-DLMS, NA_GNCA-ZigBee, NA_PCS01; gbcs.md 3.2):
- CS01a: DLMS action, class 115 (token gateway) 0-0:19.40.0.255 method 1, octet-string of the 20 UTRN digits;
  response: one action result, 0 success.
- CS01b: GBZ, Prepayment cluster (0x0705) Consumer Top Up (0x04): originating device 0x00 | 0x14 | digits; response:
  Consumer Top Up Response (0x03), result type 0x00 accepted.
- ECS09 / GCS06 (SRV 2.5 Activate Emergency Credit; RTDS 2.5_ECS09, 2.5_GCS06): DLMS action class 112 (account)
  0-0:19.10.1.255 method 3, integer 0; response one action result, 0 success. GBZ Prepayment cluster Select
  Available Emergency Credit (0x00): issue time 0 | originating device 0 (ESI); response ZCL Default Response
  (0x0B): command 0x00 | status, 0x00 success.
- GCS02 / GCS03 (SRV 1.6 on a GSME; RTDS 1.6_GCS02): GBZ Prepayment cluster Change Payment Mode (0x06): provider id
  | issuer event id | implementation time 0 (now) | payment control configuration 0x0C94 (credit) or 0x0C96
  (bit 1 prepayment enabled [I]) | cut off value; response Change Payment Mode Response (0x02).
- ECS08 (SRV 2.1 Update Prepay Configuration on an ESME; RTDS 2.1_ECS08): eighteen DLMS sets, in the RTDS's order:
  the special days table (class 11, 0-1:11.0.2.255 attribute 2: {index, date, day id}), two class 9000 values, the
  schedule (class 10, 0-1:12.0.1.255 attribute 2: {index, enabled, script table 0-0:10.0.106.255, script 32 start /
  33 end of a non-disablement period [I], switch time, validity 0xFFFF, weekdays bit-string(7) from Monday, special
  day ids bit-string(5), begin date, end date}) and thirteen more class 9000 values and activation times. The rig
  sets the calendar; the other sixteen it sends as the RTDS has them [I: their meaning and units are not read here].
- ECS02 / ECS03 (SRV 1.6 on an ESME): set class 111 (account) 0-0:19.0.0.255 attribute 2, structure {enum payment
  mode 1 credit / 2 prepayment, enum account status 2 active} [I: no RTDS; the attribute ECS26j reads]; response one
  set result, 0 success. ECS26j (SRV 6.2.9, RTDS): get of that attribute; response the structure, get result 0.
- Generic Alert: DLMS data-notification {long-unsigned alert code, octet-string COSEM date-time}, or a GBZ alert
  header (alert code, UTC seconds since 2000-01-01) with no component.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass

from harness.dcc.core import Outgoing, Received
from harness.dcc.devices import DeviceServices
from harness.errors import ConformanceFailure
from harness.gbcs.dlms import Data, DlmsPayload, Spec
from harness.gbcs.errors import PayloadError
from harness.gbcs.gbz import LAST, Component, GbzPayload
from harness.zigbee.prepayment import ZCL_EPOCH_UNIX, ConsumerTopUpResponse, OriginatingDevice, ResultType

CS01A, CS01B = 0x0007, 0x0097
ECS08 = 0x001F
ECS02, ECS03, ECS26J = 0x001A, 0x001B, 0x00BE
ACCOUNT_MODE = (111, bytes.fromhex("0000130000FF"), 2)
DLMS_PAYMENT_MODES = {ECS02: 1, ECS03: 2}
CREDIT_MODE, PREPAYMENT_MODE = 1, 2
GCS02, GCS03 = 0x006C, 0x006D
ECS09, GCS06 = 0x0020, 0x0070
ACCOUNT_CLASS, ACCOUNT_OBIS = 112, bytes.fromhex("0000130A01FF")
SELECT_EC, DEFAULT_RESPONSE = 0x00, 0x0B
CHANGE_PAYMENT_MODE, CHANGE_PAYMENT_MODE_RESPONSE = 0x06, 0x02
PAYMENT_CONFIG = {GCS02: 0x0C94, GCS03: 0x0C96}
GENERIC_ALERTS = (0x1000, 0x1001)
UTRN_ALIGN = 1 << 32  # a UTRN counter has its low 32 bits zero
TOKEN_GATEWAY_CLASS, TOKEN_GATEWAY_OBIS = 115, bytes.fromhex("0000132800FF")
PREPAYMENT_CLUSTER, CONSUMER_TOP_UP, CONSUMER_TOP_UP_RESPONSE = 0x0705, 0x04, 0x03


def cs01a_payload(counter: int, utrn: str) -> bytes:
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"",
                       [Spec(3, TOKEN_GATEWAY_CLASS, TOKEN_GATEWAY_OBIS, 1)], [Data(0x09, utrn.encode())]).encode()


def cs01b_payload(utrn: str) -> bytes:
    body = bytes([OriginatingDevice.ESI, len(utrn)]) + utrn.encode()
    return GbzPayload(1, [Component(LAST, PREPAYMENT_CLUSTER, 0x01, 0, CONSUMER_TOP_UP, body)]).encode()


def dlms_success(name: str, payload: bytes, results: int = 1) -> bool:
    """Whether every result of a DLMS access-response with `results` results is success (0); ConformanceFailure for
    another layout."""
    try:
        found = DlmsPayload.decode(payload).results
    except (PayloadError, ValueError) as exc:
        raise ConformanceFailure(f"{name} response is malformed: {exc}") from None
    if len(found) != results:
        raise ConformanceFailure(f"{name} response carries {len(found)} results, expected {results}")
    return all(result == 0 for _, result in found)


def top_up_accepted(message_code: int, payload: bytes) -> bool:
    """Whether a CS01a/CS01b response says the UTRN was applied; ConformanceFailure for another layout."""
    if message_code == CS01A:
        return dlms_success("CS01a", payload)
    try:
        [comp] = GbzPayload.decode(payload).components
        if (comp.cluster, comp.command) != (PREPAYMENT_CLUSTER, CONSUMER_TOP_UP_RESPONSE):
            raise ConformanceFailure(f"CS01b response component is {comp.cluster:04X}/{comp.command:02X}, "
                                     "not a Consumer Top Up Response")
        return ConsumerTopUpResponse.decode(comp.zcl_payload).result in (
            ResultType.ACCEPTED, ResultType.ACCEPTED_SUPPLY_ENABLED, ResultType.ACCEPTED_SUPPLY_DISABLED,
            ResultType.ACCEPTED_SUPPLY_ARMED)
    except (PayloadError, ValueError) as exc:
        raise ConformanceFailure(f"CS01{'a' if message_code == CS01A else 'b'} response is malformed: {exc}") from None


@dataclass(frozen=True)
class TopUp:
    """What SRV 2.2 sent and got: the UTRN, the command and the verified response (None when none came)."""

    utrn: str
    command: Outgoing
    response: Received | None


def top_up(services: DeviceServices, supplier: bytes, meter: bytes, meter_type: str,
           make_utrn: Callable[[int], str]) -> TopUp:
    """SRV 2.2: a UTRN made for the command's own counter (`make_utrn(counter)`) sent as CS01a / CS01b."""
    made: list[str] = []

    def payload(counter: int) -> bytes:
        made.append(make_utrn(counter))
        return cs01a_payload(counter, made[0]) if meter_type == "esme" else cs01b_payload(made[0])

    code = CS01A if meter_type == "esme" else CS01B
    command = services.core.command(supplier, meter, code, payload, align=UTRN_ALIGN)
    services.transmit(command, "top up")
    return TopUp(made[0], command, services.await_response(command))


def resend(services: DeviceServices, supplier: bytes, meter: bytes, meter_type: str, utrn: str) -> TopUp:
    """SRV 2.2 again with a UTRN already used, under a fresh command counter (as a replaying supplier would)."""
    return top_up(services, supplier, meter, meter_type, lambda counter: utrn)


def ecs09_payload(counter: int) -> bytes:
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", [Spec(3, ACCOUNT_CLASS, ACCOUNT_OBIS, 3)],
                       [Data(0x0F, 0)]).encode()


def gcs06_payload() -> bytes:
    return GbzPayload(1, [Component(LAST, PREPAYMENT_CLUSTER, 0x01, 0, SELECT_EC, bytes(5))]).encode()


def emergency_credit_activated(message_code: int, payload: bytes) -> bool:
    """Whether an ECS09 / GCS06 response says emergency credit was activated; ConformanceFailure for another
    layout."""
    if message_code == ECS09:
        return dlms_success("ECS09", payload)
    try:
        [comp] = GbzPayload.decode(payload).components
    except (PayloadError, ValueError) as exc:
        raise ConformanceFailure(f"SRV 2.5 response is malformed: {exc}") from None
    if (comp.cluster, comp.command) != (PREPAYMENT_CLUSTER, DEFAULT_RESPONSE) or len(comp.zcl_payload) != 2 \
            or comp.zcl_payload[0] != SELECT_EC:
        raise ConformanceFailure("GCS06 response is not a Default Response to Select Available Emergency Credit")
    return comp.zcl_payload[1] == 0x00


SPECIAL_DAYS = Spec(2, 11, bytes.fromhex("00010B0002FF"), 2)
SCHEDULE = Spec(2, 10, bytes.fromhex("00010C0001FF"), 2)
SCRIPT_TABLE = bytes.fromhex("00000A006AFF")
PERIOD_START, PERIOD_END = 32, 33
NOW = bytes(9) + b"\x80\x00\xff"  # a COSEM date-time with nothing specified: take effect now


def _config(obis: str, attribute: int) -> Spec:
    return Spec(2, 9000, bytes.fromhex("00005E2C" + obis), attribute)


# The RTDS ECS08's sets other than the calendar, with its values, by position: (index in the request, spec, data)
ECS08_OTHERS = [(1, _config("0214", 2), Data(0x05, 5000000)), (2, _config("020A", 4), Data(0x05, 1000000)),
                (4, _config("800C", 4), Data(0x12, 30)), (5, _config("800D", 4), Data(0x05, 604800)),
                (6, _config("8009", 4), Data(0x05, 200000)), (7, _config("8002", 4), Data(0x05, 300000)),
                (8, _config("801F", 6), Data(0x09, NOW)), (9, _config("8003", 4), Data(0x05, 100000)),
                *[(10 + i, _config(obis, 6), Data(0x09, NOW))
                  for i, obis in enumerate(("0214", "020A", "800C", "800D", "8009", "8002", "8003", "801C"))]]


@dataclass(frozen=True)
class Switch:
    """One schedule entry of the non-disablement calendar: at `hour`:`minute` a period starts (or ends) on the
    `weekdays` (7-bit mask, 0x40 Monday … 0x01 Sunday) and the special days of `special_ids` (5-bit mask, 0x10 id 1),
    between the COSEM dates `begin` and `end` (5 octets; year 0xFFFF: every year)."""

    starts: bool
    hour: int
    minute: int
    weekdays: int = 0x7F
    special_ids: int = 0
    begin: bytes = b"\xff\xff\x01\x01\xff"
    end: bytes = b"\xff\xff\x0c\x1f\xff"


def ecs08_payload(counter: int, special_days: list[tuple[bytes, int]], schedule: list[Switch]) -> bytes:
    """ECS08 content: the non-disablement calendar (special days as (COSEM date, day id), the schedule) and the
    RTDS's other settings."""
    days = Data(0x01, [Data(0x02, [Data(0x12, n), Data(0x09, date), Data(0x11, day_id)])
                       for n, (date, day_id) in enumerate(special_days, 1)])
    entries = Data(0x01, [Data(0x02, [Data(0x12, n), Data(0x03, 0xFF), Data(0x09, SCRIPT_TABLE),
                                      Data(0x12, PERIOD_START if e.starts else PERIOD_END),
                                      Data(0x09, bytes([e.hour, e.minute, 0, 0])), Data(0x12, 0xFFFF),
                                      Data(0x04, bytes([e.weekdays << 1]), bits=7),
                                      Data(0x04, bytes([e.special_ids << 3]), bits=5), Data(0x09, e.begin),
                                      Data(0x09, e.end)])
                          for n, e in enumerate(schedule, 1)])
    sets = sorted([(0, SPECIAL_DAYS, days), (3, SCHEDULE, entries), *ECS08_OTHERS], key=lambda item: item[0])
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", [spec for _, spec, _ in sets],
                       [data for _, _, data in sets]).encode()


def account_mode_payload(code: int) -> Callable[[int], bytes]:
    """ECS02 (credit mode) / ECS03 (prepayment mode) content for the command's counter, to apply now."""
    def payload(counter: int) -> bytes:
        mode = Data(0x02, [Data(0x16, DLMS_PAYMENT_MODES[code]), Data(0x16, 2)])
        return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", [Spec(2, *ACCOUNT_MODE)], [mode]).encode()
    return payload


def ecs26j_payload(counter: int) -> bytes:
    """ECS26j content: read the ESME's payment mode (account_mode_and_status)."""
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", [Spec(1, *ACCOUNT_MODE)], [Data(0x00)]).encode()


def payment_mode_read(payload: bytes) -> int:
    """The payment mode (CREDIT_MODE / PREPAYMENT_MODE) an ECS26j response reports; ConformanceFailure for another
    layout or a failed read."""
    try:
        response = DlmsPayload.decode(payload)
        [body], [(_, result)] = response.data, response.results
        mode, _ = body.value
    except (PayloadError, ValueError, TypeError) as exc:
        raise ConformanceFailure(f"ECS26j response is not one account_mode_and_status: {exc}") from None
    if result != 0 or mode.tag != 0x16 or mode.value not in (CREDIT_MODE, PREPAYMENT_MODE):
        raise ConformanceFailure(f"ECS26j response: result {result}, payment mode {mode.value!r}")
    return mode.value


def payment_mode_payload(code: int) -> bytes:
    """GCS02 (credit mode) / GCS03 (prepayment mode) content, to apply now."""
    body = bytes(4) + (1).to_bytes(4, "little") + bytes(4) + PAYMENT_CONFIG[code].to_bytes(2, "little") \
        + b"\xff\xff\xff\xff"
    return GbzPayload(1, [Component(LAST, PREPAYMENT_CLUSTER, 0x01, 0, CHANGE_PAYMENT_MODE, body)]).encode()


def payment_mode_changed(payload: bytes) -> bool:
    """Whether a GCS02 / GCS03 response is a Change Payment Mode Response (else a refusal); ConformanceFailure for
    a malformed one."""
    try:
        [comp] = GbzPayload.decode(payload).components
    except (PayloadError, ValueError) as exc:
        raise ConformanceFailure(f"GCS02/GCS03 response is malformed: {exc}") from None
    return (comp.cluster, comp.command) == (PREPAYMENT_CLUSTER, CHANGE_PAYMENT_MODE_RESPONSE)


@dataclass(frozen=True)
class DeviceAlert:
    code: int
    time: float  # UTC seconds
    critical: bool


def device_alert(received: Received) -> DeviceAlert | None:
    """The device alert a Generic Alert carries (None for another alert); ConformanceFailure for a bad layout."""
    header = received.header
    if header.message_code not in GENERIC_ALERTS:
        return None
    critical = header.message_code == 0x1000
    try:
        if header.payload[:2] == b"\x01\x09":
            gbz = GbzPayload.decode(header.payload, alert=True)
            return DeviceAlert(gbz.alert_code, gbz.alert_time + ZCL_EPOCH_UNIX, critical)
        body = DlmsPayload.decode(header.payload).data[0]
        code, when = body.value
        return DeviceAlert(code.value, _cosem_seconds(when.value), critical)
    except (PayloadError, ValueError, TypeError, AttributeError) as exc:
        raise ConformanceFailure(f"Generic Alert content is malformed: {exc}") from None


def _cosem_seconds(octets: bytes) -> float:
    """UTC seconds of a 12-octet COSEM date-time (deviation taken as UTC)."""
    if len(octets) != 12:
        raise ValueError("a COSEM date-time is 12 octets")
    year = int.from_bytes(octets[0:2], "big")
    return calendar.timegm((year, octets[2], octets[3], octets[5], octets[6], octets[7], 0, 0, 0)) \
        + (octets[8] / 100 if octets[8] != 0xFF else 0)
