"""SMI statuses the HAN services drive: only Smart Meters and Type 1 Devices have one (BAD 7.1.1.6.2); CCS01 makes
a Pending device Whitelisted, the second CS14 makes it Installed not Commissioned, CCS02 makes only a Whitelisted
device Pending again (gb-processes.md 2.1)."""
from __future__ import annotations

import pytest

from harness.dcc.smi import Smi, Status

EUI = bytes.fromhex("0011223344556677")


@pytest.mark.parametrize("device_type", ["esme", "gsme", "ppmid", "hcalcs"])
def test_meters_and_type1_devices_move_through_the_statuses(device_type):
    smi = Smi()
    smi.prenotify(EUI, device_type, 0.0)
    assert smi.status(EUI) is Status.PENDING
    assert smi.whitelisted(EUI, 1.0) and smi.status(EUI) is Status.WHITELISTED
    assert smi.joined(EUI, 2.0) and smi.status(EUI) is Status.INSTALLED_NOT_COMMISSIONED
    assert [s for _, s in smi.get(EUI).history] == [Status.PENDING, Status.WHITELISTED,
                                                    Status.INSTALLED_NOT_COMMISSIONED]


@pytest.mark.parametrize("device_type", ["ihd", "cad", "hht"])
def test_other_devices_have_no_status(device_type):
    smi = Smi()
    smi.prenotify(EUI, device_type, 0.0)
    assert not smi.whitelisted(EUI, 1.0) and not smi.joined(EUI, 2.0) and not smi.removed_from_log(EUI, 3.0)
    assert smi.status(EUI) is None and smi.get(EUI).history == []


def test_ccs02_makes_only_a_whitelisted_device_pending():
    smi = Smi()
    smi.prenotify(EUI, "esme", 0.0)
    assert not smi.removed_from_log(EUI, 1.0)                      # Pending stays Pending (no new history)
    smi.whitelisted(EUI, 2.0)
    assert smi.removed_from_log(EUI, 3.0) and smi.status(EUI) is Status.PENDING
    smi.whitelisted(EUI, 4.0)
    smi.joined(EUI, 5.0)
    assert not smi.removed_from_log(EUI, 6.0) and smi.status(EUI) is Status.INSTALLED_NOT_COMMISSIONED


def test_joined_never_downgrades_a_commissioned_device():
    smi = Smi()
    smi.prenotify(EUI, "gsme", 0.0)
    smi.set_status(EUI, Status.COMMISSIONED, 1.0)
    assert not smi.joined(EUI, 2.0) and smi.status(EUI) is Status.COMMISSIONED
