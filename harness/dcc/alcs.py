"""DCC service SRV 6.14.2 (ECS46c, critical): the supplier sets an ESME's auxiliary load control switch calendar
(BAD 7.5.5), and what the meter's response says.

Layout (RTDS 6.14.2_ECS46c, tests/dcc/test_alcs_rtds.py): DLMS sets of one class 1 0-0:94.44.0.(21+n) octet-string(8)
per switch [I: the switch's HAN EUI, all zero for the ESME's own ALCS], the special days table (class 11
0-1:11.0.3.255), the schedule (class 10 0-1:12.0.2.255, entries running script 0-0:10.0.103.255) and two activation
date-times (class 9000 0-0:94.44.128.26 / .128.35 attribute 6, all zero: immediate); response: one set result per
set. [I] The script selector is switch << 8 | action (1 on, 2 off), as firmware/alcs_gbcs.py says.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.dcc.devices import DeviceServices
from harness.dcc.prepayment import dlms_success
from harness.dcc.supply import Outcome
from harness.gbcs.dlms import Data, DlmsPayload, Spec

ECS46C = 0x0054
NAME = "ECS46c ALCS calendar"
OWN_ALCS = bytes(8)  # the EUI field of the ESME's embedded switch
SWITCH_OBIS = bytes.fromhex("00005E2C00")  # + 0x15 + n
SPECIAL_DAYS = (11, bytes.fromhex("00010B0003FF"), 2)
SCHEDULE = (10, bytes.fromhex("00010C0002FF"), 2)
ACTIVATIONS = [(9000, bytes.fromhex(o), 6) for o in ("00005E2C801A", "00005E2C8023")]
ALCS_SCRIPTS = bytes.fromhex("00000A0067FF")
IMMEDIATE = bytes.fromhex("0000000000000000008000FF")
ON, OFF = 1, 2
EVERY_DAY = 0xFE  # the weekdays bit-string's octet, Monday in the top bit


@dataclass(frozen=True)
class Switching:
    """One schedule entry: switch `switch` (1 the ESME's own ALCS) on or off at `hour`:`minute`:`second` (UTC) on the
    `weekdays` (bit-string octet, Monday first), with the entry's remaining fields as sent."""

    index: int
    switch: int
    on: bool
    hour: int
    minute: int
    second: int = 0
    weekdays: int = EVERY_DAY
    special_days: int = 0x00
    begin: bytes = bytes.fromhex("FFFFFFFFFF")
    end: bytes = bytes.fromhex("FFFFFFFFFF")

    def data(self) -> Data:
        selector = self.switch << 8 | (ON if self.on else OFF)
        return Data(0x02, [Data(0x12, self.index), Data(0x03, 0xFF), Data(0x09, ALCS_SCRIPTS), Data(0x12, selector),
                           Data(0x09, bytes([self.hour, self.minute, self.second, 0])), Data(0x12, 0xFFFF),
                           Data(0x04, bytes([self.weekdays]), bits=7), Data(0x04, bytes([self.special_days]), bits=4),
                           Data(0x09, self.begin), Data(0x09, self.end)])


def calendar_payload(schedule: list[Switching], switches: tuple[bytes, ...] = (OWN_ALCS,),
                     special_days: tuple[tuple[int, bytes, int], ...] = ()):
    """ECS46c content for the command's counter: the switches' EUIs, the special days (index, date, day id) and the
    schedule, activated at once."""
    specs = [Spec(2, 1, SWITCH_OBIS + bytes([0x15 + n]), 2) for n in range(len(switches))]
    specs += [Spec(2, *SPECIAL_DAYS), Spec(2, *SCHEDULE), *(Spec(2, *a) for a in ACTIVATIONS)]
    days = [Data(0x02, [Data(0x12, i), Data(0x09, date), Data(0x11, day)]) for i, date, day in special_days]
    data = [*(Data(0x09, eui) for eui in switches), Data(0x01, days), Data(0x01, [s.data() for s in schedule]),
            *(Data(0x09, IMMEDIATE) for _ in ACTIVATIONS)]
    return lambda counter: DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", specs, data).encode()


def set_calendar(services: DeviceServices, supplier: bytes, esme: bytes, schedule: list[Switching]) -> Outcome:
    """SRV 6.14.2 from the supplier to `esme`, signed as a critical command: the ALCS calendar `schedule`."""
    command, response = services.request(supplier, esme, ECS46C, calendar_payload(schedule), critical=True, what=NAME)
    if response is None:
        return Outcome(NAME, command, None, False)
    return Outcome(NAME, command, response, dlms_success(NAME, response.header.payload, 3 + len(ACTIVATIONS)))
