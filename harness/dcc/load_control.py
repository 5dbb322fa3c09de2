"""DCC service of auxiliary load control (BAD 7.5.5): SRV 7.5 Activate Auxiliary Load, ECS47 to the ESME, critical
(KRP-signed); the ESME switches its ALCS and the HCALCS joined to it (by a HAN command, BAD 7.5.5.5.2).

Layout (RTDS 7.5_ECS47Activate): DLMS set, class 1 0-0:94.44.117.1 attribute 2, long-unsigned override period in
minutes [I: the meaning of the RTDS's 30], then action class 9 (script table) 0-0:10.0.103.255 method 1,
long-unsigned script 0x0111 [I: the RTDS's only script, taken as "activate the auxiliary load"]; the response: a set
and an action result, both 0 on success.
"""
from __future__ import annotations

from harness.dcc.devices import DeviceServices
from harness.dcc.prepayment import dlms_success
from harness.dcc.supply import Outcome
from harness.gbcs.dlms import Data, DlmsPayload, Spec

ECS47 = 0x0055
OVERRIDE_PERIOD = (1, bytes.fromhex("00005E2C7501"), 2)
ALC_SCRIPTS = (9, bytes.fromhex("00000A0067FF"), 1)
SCRIPT_ACTIVATE = 0x0111
NAME = "ECS47 activate auxiliary load"


def activate_payload(minutes: int):
    """ECS47 Activate content for the command's counter."""
    specs = [Spec(2, *OVERRIDE_PERIOD), Spec(3, *ALC_SCRIPTS)]
    data = [Data(0x12, minutes), Data(0x12, SCRIPT_ACTIVATE)]
    return lambda counter: DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", specs, data).encode()


def activate(services: DeviceServices, supplier: bytes, esme: bytes, minutes: int = 30) -> Outcome:
    """SRV 7.5 from the supplier to the ESME `esme`: `done` when its verified response says both parts succeeded."""
    command, response = services.request(supplier, esme, ECS47, activate_payload(minutes), critical=True, what=NAME)
    if response is None:
        return Outcome(NAME, command, None, False)
    return Outcome(NAME, command, response, dlms_success(NAME, response.header.payload, 2))
