"""SRV 11.1 in the DCC core (harness/dcc/firmware.py): the CPL checks and the DCC alerts N18-N23 (BAD 7.5.3.6.2),
each refusal beside the accepted request in the same state."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from harness.dcc.firmware import SECMP0007_TARGETS, TRANSFER_ALLOWANCE, DeviceModel, FirmwareServices
from harness.dcc.smi import Smi, Status
from harness.ota import emulated
from harness.ota.image import OtaHeader, build, parse
from harness.smki.cpl import Cpl, CplEntry, signer_id
from rig.clock import VirtualClock

KEY = ec.generate_private_key(ec.SECP256R1())
SUPPLIER, OTHER_SUPPLIER = bytes.fromhex("90B3D51F30010000"), bytes.fromhex("90B3D51F30030000")
CH = bytes.fromhex("00DB1234567890A2")
ESME, GSME, PPMID = (bytes.fromhex(f"00DB1234567890A{i}") for i in (0, 1, 4))
MFR, MODEL = 0x1234, 0x0001


def image(version: int = 0x200, size: int = 2000) -> bytes:
    return build(OtaHeader(MFR, MODEL, version, "x", hardware_min=1, hardware_max=0x20),
                 emulated.manufacturer_image(f"{version:x}", size), signer_id(MFR), KEY)


IMAGE = image()


@pytest.fixture
def dcc(tmp_path):
    clock = VirtualClock()
    smi = Smi()
    for eui, kind in ((ESME, "esme"), (GSME, "gsme"), (PPMID, "ppmid")):
        smi.prenotify(eui, kind, clock.now())
        smi.set_status(eui, Status.COMMISSIONED, clock.now())
        smi.get(eui).chf = CH
    cpl = Cpl(tmp_path)
    cpl.add(CplEntry(MFR, MODEL, 0x200, parse(IMAGE).manufacturer_image_hash, 0x0001, 0x0020))
    sent: list[tuple[bytes, bytes]] = []
    ack = {"value": True}

    def distribute(ch: bytes, data: bytes) -> bool:
        sent.append((ch, data))
        return ack["value"]

    services = FirmwareServices(cpl, smi, clock, distribute)
    for eui in (ESME, GSME, PPMID):
        services.models[eui] = DeviceModel(MFR, MODEL, 0x0010, 0x100, SUPPLIER)
    return services, clock, sent, ack


def codes(services: FirmwareServices) -> list[str]:
    return [a.code for a in services.smi.alerts]


def test_accepted_distribution_and_its_transfer_report(dcc):
    services, clock, sent, _ = dcc
    response = services.update_firmware(SUPPLIER, IMAGE, 0x200, [ESME])
    assert response.ok and response.accepted == [ESME] and sent == [(CH, IMAGE)]
    services.transfer_reported(CH, ESME, 0)
    clock.advance(TRANSFER_ALLOWANCE + 1)
    assert codes(services) == []


def test_missing_transfer_report_is_n23(dcc):
    services, clock, _, _ = dcc
    assert services.update_firmware(SUPPLIER, IMAGE, 0x200, [ESME]).ok
    clock.advance(TRANSFER_ALLOWANCE + 1)
    assert codes(services) == ["N23"]


def test_no_ch_acknowledgement_is_n22(dcc):
    services, _, _, ack = dcc
    ack["value"] = False
    response = services.update_firmware(SUPPLIER, IMAGE, 0x200, [ESME])
    assert not response.ok and response.failed == {ESME: "no CH acknowledgement"} and codes(services) == ["N22"]


def test_oversized_image_is_n20(dcc):
    services, _, sent, _ = dcc
    response = services.update_firmware(SUPPLIER, image(size=750 * 1024), 0x200, [ESME])
    assert not response.ok and codes(services) == ["N20"] and sent == []


def test_unknown_firmware_version_is_n21(dcc):
    services, _, sent, _ = dcc
    assert not services.update_firmware(SUPPLIER, image(0x300), 0x300, [ESME]).ok
    assert codes(services) == ["N21"] and sent == []


def test_hash_or_version_not_matching_a_cpl_row_is_n18(dcc):
    services, _, sent, _ = dcc
    rebuilt = image(size=2001)  # same header and version, another Manufacturer Image
    assert not services.update_firmware(SUPPLIER, rebuilt, 0x200, [ESME]).ok
    services.cpl.add(CplEntry(MFR, MODEL, 0x300, bytes(32), 1, 0x20))
    assert not services.update_firmware(SUPPLIER, IMAGE, 0x300, [ESME]).ok  # a listed version, not this image's
    assert codes(services) == ["N18", "N18"] and sent == []


def test_target_model_not_matching_is_n19(dcc):
    services, _, _, _ = dcc
    services.models[ESME] = DeviceModel(MFR, MODEL, 0x0030, 0x100, SUPPLIER)  # hardware outside 0x01-0x20
    response = services.update_firmware(SUPPLIER, IMAGE, 0x200, [ESME, GSME])
    assert response.accepted == [GSME] and "current model" in response.failed[ESME]
    assert codes(services) == ["N19"]


def test_per_device_refusals_are_listed_in_the_response(dcc):
    services, clock, _, _ = dcc
    services.models[GSME] = DeviceModel(MFR, MODEL, 0x0010, 0x100, OTHER_SUPPLIER)
    response = services.update_firmware(SUPPLIER, IMAGE, 0x200, [ESME, GSME, PPMID, bytes(8)])
    assert response.accepted == [ESME]
    assert response.failed == {GSME: "the sender is not the Responsible Supplier",
                               PPMID: "the device is not a Smart Meter", bytes(8): "unknown device"}
    services.targets = SECMP0007_TARGETS  # SECMP0007: a PPMID may be named too
    assert services.update_firmware(SUPPLIER, IMAGE, 0x200, [PPMID]).accepted == [PPMID]
    services.smi.set_status(ESME, Status.INSTALLED_NOT_COMMISSIONED, clock.now())
    again = services.update_firmware(SUPPLIER, IMAGE, 0x200, [ESME])
    assert not again.ok and "not Commissioned or Suspended" in again.failed[ESME]
    assert codes(services) == []
