"""Power lost during a firmware activation (BAD 7.5.3.6.3: "power loss mid-activation"; scenario 94): a device
must come back running a valid image, the old one or the new one, never a broken one, and report consistently.

Topology: the CH commissioned; the device under test (ESME, or PPMID joined to its commissioned ESME) holding a
downloaded image and a future-dated CS06 for it. Action: the clock reaches the CS06's execution time; one second
into the activation the bench cuts the device's power and restores it (its power control: SKIP on a bench without
one). The point is the bench's to hit in virtual time: a device that installs its image over time (the emulated
single-bank defect writes 1 kB/s) is mid-write then; a dual-slot device has switched images in one atomic step.
Checks read the DCC core only: the version read (ECS52, or CS08 for the PPMID) and the 0x00CA alert.
"""
from __future__ import annotations

import pytest

from device_steps import commissioned
from harness.dcc.devices import alert_code
from harness.dcc.firmware import activation_report
from test_ota import FUTURE_DATED_FIRMWARE_ALERT, NEW, OLD, SUCCESS, Firmware, _hash, power_cut
from test_ota_ppmid import ppmid_firmware

ACTIVATED, NOT_ACTIVATED = 0x8F66, 0x8F67
CUT_AFTER = 1.0  # seconds into the activation the bench cuts the power
SETTLE = 60.0    # seconds for the device to boot again and its alerts to reach the DCC


def firmware_for(han, device: str) -> Firmware:
    if device == "ppmid":
        return ppmid_firmware(han)
    commissioned(han, device)
    return Firmware(han, device)


@pytest.mark.scenario(94, 89)
@pytest.mark.clause("BAD 7.5.3.6.3 (power loss during activation; future-dated CS06, alert 0x00CA); GBCS CS08")
@pytest.mark.parametrize("device", [
    pytest.param("esme", marks=[pytest.mark.roles("chf", "esme"), pytest.mark.dut("esme")]),
    pytest.param("ppmid", marks=[pytest.mark.roles("chf", "esme", "ppmid"), pytest.mark.dut("ppmid")])])
def test_power_cut_during_activation_leaves_a_valid_image_reported_consistently(han, bench, device):
    fw = firmware_for(han, device)
    image = fw.image()
    assert [alert_code(r) for r in fw.distribute(image)] == [0x8F72], "precondition: the image was not received"
    at = han.clock.now() + 3600
    assert fw.cs06(_hash(image), at) is None, "precondition: the future-dated CS06 was not stored"
    before = len(han.devices.alerts)

    # Action: the execution time comes; one second into the activation the bench cuts the device's power
    han.run_for(at - han.clock.now())
    han.run_for(CUT_AFTER)
    power_cut(bench, device)
    han.run_for(SETTLE)

    # "Power loss during ... activation → device stays on old firmware and reports consistently" (or runs the new
    # image it switched to in one step): it answers with a version it has a valid image of
    version = fw.read_version()
    assert version in (OLD, NEW), f"after the power cut the {device} reads {version!r}: it runs no valid image"
    # "at time T run the immediate steps; alert 0x00CA success/failure", saying what now runs
    reports = [activation_report(a.header.payload) for a in han.devices.alerts[before:]
               if a.header.message_code == FUTURE_DATED_FIRMWARE_ALERT and a.header.originator == fw.eui]
    expected = (ACTIVATED, SUCCESS, NEW) if version == NEW else (NOT_ACTIVATED, None, OLD)
    assert len(reports) == 1, f"{len(reports)} 0x00CA alerts for the activation the power cut interrupted"
    code, outcome, reported = reports[0]
    assert (code, reported) == (expected[0], expected[2]) and (outcome == SUCCESS) == (version == NEW), \
        f"the 0x00CA alert (0x{code:04X}, outcome {outcome}, version {reported.hex()}) is not what the {device} " \
        f"runs ({version.hex()})"
