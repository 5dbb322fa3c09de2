"""DCC services of supply control (BAD 7.5.4): SRV 7.1 Enable (ECS42, ESME only), 7.2 Disable (ECS43 / GCS32), 7.3 Arm
(ECS44 / GCS39) and SRV 6.25 Set Supply Tamper State (ECS81), each critical (KRP-signed), with what the meter's
response says.

Layouts (RTDS 7.1_ECS42, 7.2_ECS43, 6.25_ECS81; the others inferred [I], as firmware/prepay_gbcs.py says):
- ECS42 / ECS43 / ECS44: DLMS action, class 9 (script table) 0-0:10.0.106.255 method 1, long-unsigned script
  0x0033 enable / 0x0034 disable / 0x0035 arm [I]; response: one action result, 0 success.
- ECS28a: eight DLMS sets on class 9000 (RTDS 6.4.1_ECS28a): attribute 4 of 0-0:94.44.0.3 (boolean, disable on
  a breach [I]), 0-0:94.44.128.7 (threshold W), .128.6 (restoration period s), .128.8 (load limit period s) [I: the
  names], then attribute 6 of each (activation date-time, unspecified: now); response: eight set results.
- ECS81: DLMS set, class 1 0-0:94.44.0.4 attribute 2, boolean (TRUE: a tamper locks); response: one set result.
- GCS32 / GCS39 [I]: GBZ Metering cluster (0x0702) Change Supply (0x0B) proposing off (0) / armed (1); response
  Supply Status Response (0x0C) whose last octet is the supply status now (0 off, 1 armed, 2 on).
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.dcc.core import Outgoing, Received
from harness.dcc.devices import DeviceServices
from harness.dcc.prepayment import dlms_success
from harness.errors import ConformanceFailure
from harness.gbcs.dlms import Data, DlmsPayload, Spec
from harness.gbcs.errors import PayloadError
from harness.gbcs.gbz import LAST, Component, GbzPayload
from harness.zigbee.prepayment import ZCL_EPOCH_UNIX

ECS28A, ECS42, ECS43, ECS44, ECS81 = 0x0043, 0x004F, 0x0050, 0x0051, 0x0068
GCS32, GCS39 = 0x0081, 0x0085
SCRIPTS = {ECS42: 0x0033, ECS43: 0x0034, ECS44: 0x0035}
SCRIPT_TABLE = (9, bytes.fromhex("00000A006AFF"), 1)
TAMPER_STATE = (1, bytes.fromhex("00005E2C0004"), 2)
LOAD_LIMIT_CLASS = 9000
LOAD_LIMIT_OBJECTS = [bytes.fromhex(o) for o in ("00005E2C0003", "00005E2C8007", "00005E2C8006", "00005E2C8008")]
NOW = bytes.fromhex("FFFFFFFFFFFFFFFFFF8000FF")  # a COSEM date-time with nothing specified
METERING_CLUSTER, CHANGE_SUPPLY, SUPPLY_STATUS_RESPONSE = 0x0702, 0x0B, 0x0C
OFF, ARMED, ON = 0, 1, 2
GAS = {ECS43: (GCS32, OFF), ECS44: (GCS39, ARMED)}  # the GSME's command for the ESME's, and what it proposes
NAMES = {ECS28A: "ECS28a load limiting", ECS42: "ECS42 enable", ECS43: "ECS43 disable", ECS44: "ECS44 arm", ECS81: "ECS81 tamper state",
         GCS32: "GCS32 disable", GCS39: "GCS39 arm"}


def _invoke(counter: int) -> int:
    return 0x20000000 | (counter & 0xFFFFFF)


def script_payload(code: int):
    """ECS42 / ECS43 / ECS44 content for the command's counter."""
    cls, obis, method = SCRIPT_TABLE
    return lambda counter: DlmsPayload(0xD9, _invoke(counter), b"", [Spec(3, cls, obis, method)],
                                       [Data(0x12, SCRIPTS[code])]).encode()


def tamper_state_payload(lock: bool):
    cls, obis, attr = TAMPER_STATE
    return lambda counter: DlmsPayload(0xD9, _invoke(counter), b"", [Spec(2, cls, obis, attr)],
                                       [Data(0x03, 0xFF if lock else 0x00)]).encode()


def load_limit_payload(watts: int, period_s: int, restore_s: int, disable: bool):
    """ECS28a content: the load limit threshold and periods, activated now."""
    specs = [Spec(2, LOAD_LIMIT_CLASS, obis, attr) for attr in (4, 6) for obis in LOAD_LIMIT_OBJECTS]
    data = [Data(0x03, 0xFF if disable else 0), Data(0x06, watts), Data(0x06, restore_s), Data(0x06, period_s),
            *(Data(0x09, NOW) for _ in LOAD_LIMIT_OBJECTS)]
    return lambda counter: DlmsPayload(0xD9, _invoke(counter), b"", specs, data).encode()


def change_supply_payload(proposed: int, now: float) -> bytes:
    """GCS32 / GCS39 content: Change Supply from the supplier, to apply now."""
    when = (int(now) - ZCL_EPOCH_UNIX) & 0xFFFFFFFF
    body = (0).to_bytes(4, "little") + (1).to_bytes(4, "little") + when.to_bytes(4, "little") \
        + (0).to_bytes(4, "little") + bytes([proposed, 0])
    return GbzPayload(1, [Component(LAST, METERING_CLUSTER, 0x01, 0, CHANGE_SUPPLY, body)]).encode()


@dataclass(frozen=True)
class Outcome:
    """A supply command, its verified response (None when none came) and what the response says: `done` (the
    DLMS result is success; for a GSME, the supply status is the one proposed) and `status` (GSME: 0/1/2)."""

    name: str
    command: Outgoing
    response: Received | None
    done: bool
    status: int | None = None

    def __str__(self) -> str:
        if self.response is None:
            return f"{self.name}: no verified response"
        said = f"supply status {self.status}" if self.status is not None else ("success" if self.done else "refused")
        return f"{self.name} (counter {self.command.header.counter:016X}): {said}"


def supply_status(name: str, payload: bytes) -> int:
    """The supply status a GSME's Supply Status Response gives; ConformanceFailure for another layout."""
    try:
        [comp] = GbzPayload.decode(payload).components
    except (PayloadError, ValueError) as exc:
        raise ConformanceFailure(f"{name} response is malformed: {exc}") from None
    if (comp.cluster, comp.command) != (METERING_CLUSTER, SUPPLY_STATUS_RESPONSE) or len(comp.zcl_payload) != 13:
        raise ConformanceFailure(f"{name} response is {comp.cluster:04X}/{comp.command:02X} "
                                 f"({len(comp.zcl_payload)} octets), not a Supply Status Response")
    return comp.zcl_payload[12]


def _change_supply(services: DeviceServices, supplier: bytes, meter: bytes, code: int, proposed: int) -> Outcome:
    name = NAMES[code] if (code, proposed) in GAS.values() else f"{NAMES[code]} proposing {proposed}"
    command, response = services.request(supplier, meter, code, change_supply_payload(proposed, services.clock.now()),
                                         critical=True, what=name)
    if response is None:
        return Outcome(name, command, None, False)
    status = supply_status(name, response.header.payload)
    return Outcome(name, command, response, status == proposed, status)


def send(services: DeviceServices, supplier: bytes, meter: bytes, meter_type: str, code: int, *,
         lock: bool = True, load_limit: tuple[int, int, int, bool] | None = None) -> Outcome:
    """SRV 7.1 / 7.2 / 7.3 (`code` the ESME's ECS42 / ECS43 / ECS44; a GSME gets GCS32 / GCS39), SRV 6.25 (ECS81,
    `lock`) or SRV 6.4.1 (ECS28a, `load_limit` = (watts, period s, restoration s, disable)) from the supplier to
    `meter`, signed as a critical command."""
    if meter_type == "gsme" and code in GAS:
        return _change_supply(services, supplier, meter, *GAS[code])
    if code == ECS28A:
        assert load_limit is not None, "rig: ECS28a needs its load_limit values"
        payload = load_limit_payload(*load_limit)
    else:
        payload = tamper_state_payload(lock) if code == ECS81 else script_payload(code)
    command, response = services.request(supplier, meter, code, payload, critical=True, what=NAMES[code])
    if response is None:
        return Outcome(NAMES[code], command, None, False)
    return Outcome(NAMES[code], command, response, dlms_success(NAMES[code], response.header.payload, 8 if code == ECS28A else 1))


def change_supply(services: DeviceServices, supplier: bytes, meter: bytes, proposed: int) -> Outcome:
    """A Change Supply proposing `proposed` sent to a GSME under GCS39 (a supplier trying what BAD 7.5.4.6.1
    forbids when `proposed` is ON)."""
    return _change_supply(services, supplier, meter, GCS39, proposed)
