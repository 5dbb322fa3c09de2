"""Manage Firmware for a PPMID (SECMP0007: OTA firmware for PPMIDs through the same hash, CPL and CS06 gates as a
meter's; GBCS section 4). The PPMID holds no supplier trust anchor cell (BAD Table 11): the ACB originates its
commands on the supplier's behalf, so its CS06 comes signed by the ACB and its Firmware Distribution Receipt
(0x00CF, GBZ: the PPMID is a ZigBee device) goes to the ACB. SRV 11.2 does not read a PPMID: CS08 (Read PPMID/HCALCS
Firmware Version) does.

Topology: the CH commissioned, the ESME commissioned, the PPMID on the HAN and joined to the ESME (SRV 8.7.1 CS03A1),
so Commissioned as its partner (AC 4.7). The PPMID is the device under test. Actions: service requests to the DCC
core (SRV 11.1 with SECMP0007's targets, SRV 11.3); the image reaches the PPMID over the HAN from its CH. Checks
read the DCC core only: the receipt alert, the CS06 responses and the CS08 reads, all verified by the core.
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc.devices import CS03A1, alert_code
from harness.dcc.firmware import CS08, CS08_COMMAND, SECMP0007_TARGETS, cs08_version
from device_steps import commissioned, install
from test_ota import HASH_MISMATCH, NEW, OLD, SUCCESS, Firmware, _hash

FDRA_GBZ = 0x00CF
READ_OK = 0

pytestmark = [pytest.mark.roles("chf", "esme", "ppmid"), pytest.mark.dut("ppmid")]


class PpmidFirmware(Firmware):
    """The supplier's side of Manage Firmware for the PPMID (SRV 11.1 under SECMP0007; CS06 and CS08 go through the
    ACB, as every command to a PPMID does)."""

    def __init__(self, han):
        super().__init__(han, "ppmid")
        self.services.targets = SECMP0007_TARGETS

    def distribute(self, image: bytes, *, download_for: float = 1800):
        before = len(self.han.devices.alerts)
        response = self.update_firmware(image)
        assert response.ok, f"precondition: SRV 11.1 refused: {response.detail} {response.failed}"
        self.han.device("ppmid").download_firmware(self.han.eui_int("chf"), timeout=download_for)
        self.han.run_for(10)
        return [a for a in self.han.devices.alerts[before:]
                if a.header.message_code == FDRA_GBZ and a.header.originator == self.eui]

    def read_version(self):
        """CS08: the firmware version the PPMID reports (with response code 0), or "no response"."""
        _, response = self.han.devices.request(SUPPLIER, self.eui, CS08, CS08_COMMAND, critical=False,
                                               what="CS08")
        if response is None:
            return "no response"
        version, code = cs08_version(response.header.payload)
        assert code == READ_OK, f"CS08 answered response code {code}"
        return version


def ppmid_firmware(han) -> PpmidFirmware:
    """Topology: CH and ESME commissioned; the PPMID installed and joined to the ESME (Commissioned with it)."""
    commissioned(han, "esme")
    install(han, "ppmid")
    joined = han.devices.join(SUPPLIER, han.eui("esme"), CS03A1, han.eui("ppmid"), "ppmid", critical=True)
    assert joined.ok, f"precondition: the ESME did not join the PPMID: {joined.detail}"
    return PpmidFirmware(han)


@pytest.fixture
def fw(han) -> PpmidFirmware:
    return ppmid_firmware(han)


@pytest.mark.scenario(126, 80, 86)
@pytest.mark.clause("SECMP0007; BAD 7.5.3.6.2-3; GBCS CS06 (ACB-originated to a PPMID), FDRA 0x00CF, CS08")
def test_ppmid_firmware_distributed_receipted_and_activated_by_cs06(han, fw):
    image = fw.image()

    # Actions: SRV 11.1 naming the PPMID; the PPMID downloads the image from its CH over the HAN
    receipts = fw.distribute(image)

    # "Meter verifies the ... signature inside the image ... sends Firmware Distribution Receipt alert: 0x8F72
    # success" (0x00CF: the Calculated Manufacturer Hash is the last 32 octets of the GBZ alert)
    assert len(receipts) == 1, f"{len(receipts)} receipt alerts from the PPMID (rejected: {han.devices.rejected})"
    assert alert_code(receipts[0]) == 0x8F72 and receipts[0].header.payload.endswith(_hash(image)), \
        "the receipt is not 0x8F72 with the Calculated Manufacturer Hash of the image"
    assert fw.read_version() == OLD, "before the CS06, CS08 does not read the version the PPMID ran"
    # "CS06 hash ≠ stored image ... on failure keep old; Response with result code + resulting FW version"
    other = bytes(b ^ 0xFF for b in _hash(image))
    assert fw.cs06(other) == (HASH_MISMATCH, OLD), "a CS06 with another image's hash did not fail with hashMismatch"
    # "Immediate CS06: ... hash in CS06 equals hash computed over stored Manufacturer Image; activate; ... Response
    # with result code + resulting FW version"
    assert fw.cs06(_hash(image)) == (SUCCESS, NEW)
    # the new version, as CS08 reads it
    assert fw.read_version() == NEW, "CS08 does not read the activated version"
