"""Steps the device suites share: a device installed on the HAN as BAD 7.2.1.6.7 has it (SRV 12.2, SRV 8.11, join
and CBKE, the CHF's tunnel), and the SRV 8.1.1 commissioning of the CH and its meters."""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc.smi import Status

JOIN_PERIOD = 90  # seconds, the SRV 8.11 Join Time Period
JOIN_TIMEOUT = 60.0  # seconds a device keeps scanning and asking to join (a lossy channel may need them)
SETTLE = 10.0     # seconds for the CHF's tunnel request (or the GSME's) to complete after CBKE
APS_RETRY_WINDOW = 5.0  # seconds an APS data frame is retransmitted (with its APS counter) until acknowledged


def install(han, role: str) -> None:
    """SRV 12.2, SRV 8.11 (add) and the device's join (install code, CBKE); the device is then Installed not
    Commissioned and GBCS reaches it through its CHF. A step that fails here is a precondition, so it asserts."""
    han.prenotify(role)
    added = han.dcc.add_device(han.chf_eui, han.eui(role), han.provisioning.install_code(role), JOIN_PERIOD)
    assert added.ok, f"precondition: CCS01 for the {role} failed: {added.detail}"
    han.device(role).join(han.eui_int("chf"), timeout=JOIN_TIMEOUT)  # judged below by the DCC, as for a real device
    han.run_for(SETTLE)
    assert han.smi.status(han.eui(role)) is Status.INSTALLED_NOT_COMMISSIONED, \
        f"precondition: the {role} is {han.smi.status(han.eui(role)).value} after joining"


def commission(han, role: str):
    """SRV 8.1.1 Commission Device from the supplier."""
    return han.devices.commission(SUPPLIER, han.eui(role))


def commissioned(han, meter: str, *others: str) -> None:
    """Topology: the CH commissioned, `meter` (and `others`) joined to its HAN, `meter` Commissioned (SRV 8.1.1)."""
    han.commission_ch()
    for role in (meter, *others):
        install(han, role)
    answer = commission(han, meter)
    assert answer.ok, f"precondition: SRV 8.1.1 failed for the {meter}: {answer.detail}"


def per_device(*devices: str) -> list:
    """One case per device role, each needing only the CHF and that device, which is the device under test."""
    return [pytest.param(d, marks=[pytest.mark.roles("chf", d), pytest.mark.dut(d)]) for d in devices]
