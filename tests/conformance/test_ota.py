"""Manage Firmware (BAD 7.5.3, GBCS section 4): distribution (SRV 11.1: the DCC checks the image against the CPL,
the CH serves it over the HAN with the ZCL OTA cluster, the meter checks it and sends the Firmware Distribution
Receipt, 0x8F72 or 0x8F1C) and activation (SRV 11.3: CS06, critical; now, or at its execution date-time with alert
0x00CA when it runs). A meter never activates without a valid CS06. The CH's own firmware comes by the DCC path and
is activated by a CS06 the WAN Provider signed (BAD 7.5.3.6.5). A change of supplier (SRV 6.23: CS02b from the
Transitional CoS party replacing the Supplier certificates) voids a pending future-dated activation (BAD 7.7.1.5.4);
a restart of the CH into new firmware, or a plain reboot, raises no AD1 power outage alert, a power cut of 3 minutes
or more does (TAB DP096).

Topology: the CH commissioned, the meter (the device under test: the ESME unless a case says otherwise)
commissioned on its HAN. Actions: service requests to the DCC core; the image reaches the meter over the HAN; where
a case cuts a device's power, the bench does it (its power control; SKIP on a bench without one for the DUT).
Checks read the DCC core only: the receipt alert, the CS06 and CS02b responses and alerts (all signed by the
device and verified by the core), SRV 11.2 reads, the DCC's AD1 alerts. The firmware version a device runs is read
from its CS06 responses: every outcome carries it, also a refusal's.
"""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from emulators.provision import BENCH_MANUFACTURER, DEVICE_MODELS, SUPPLIER
from harness.dcc.credentials import CS02B_COS, DIGITAL_SIGNATURE, KEY_AGREEMENT, cos_outcomes, cos_payload
from harness.dcc.devices import alert_code
from harness.dcc.outage import AD1
from harness.dcc.firmware import (CANCEL, CS06, ECS52, GCS38, NOTICE, DeviceModel, FirmwareServices, cs06_outcome,
                                  cs06_payload, ecs52_payload, ecs52_version, gcs38_payload, gcs38_version)
from harness.ota import emulated
from harness.ota.image import OtaHeader, build, parse
from harness.smki.cpl import Cpl, CplEntry, manufacturer_key, signer_id
from harness.smki.mint import ca_chain_certificate
from harness.smki.roles import DEFAULT_PARTIES
from device_steps import commissioned, per_device

OLD, NEW, NEXT = bytes.fromhex("00000100"), bytes.fromhex("00000200"), bytes.fromhex("00000300")
SUCCESS, NO_IMAGE_HELD, HASH_MISMATCH = 0, 1, 2
FDRA = {"esme": 0x00CE, "gsme": 0x00CF}  # the receipt: DLMS from the ESME, GBZ from the GSME
FUTURE_DATED_FIRMWARE_ALERT = 0x00CA
WAN_PROVIDER = bytes.fromhex(DEFAULT_PARTIES["wan_provider"][1])
OUTAGE_WATCH = 600.0  # seconds the DCC is watched for AD1 after a restart of the CH
TRANSITIONAL_COS = bytes.fromhex(DEFAULT_PARTIES["transitional_cos"][1])
GAINING_SUPPLIER = bytes.fromhex(DEFAULT_PARTIES["supplier2"][1])

pytestmark = [pytest.mark.roles("chf", "esme"), pytest.mark.dut("esme")]  # every case: the ESME is the DUT


class Firmware:
    """The supplier's side of Manage Firmware for a commissioned meter (the ESME unless told)."""

    def __init__(self, han, role: str = "esme"):
        self.han = han
        self.role = role
        self.eui = han.eui(role)
        self.supplier = SUPPLIER  # the meter's supplier: the sender of SRV 11.3 and 11.2
        manufacturer, model, hardware = DEVICE_MODELS[role]
        self.cpl = Cpl(han.provisioning.smki_dir)
        self.services = FirmwareServices(self.cpl, han.smi, han.clock, self._to_ch)
        self.services.models[self.eui] = DeviceModel(manufacturer, model, hardware, 0x100, SUPPLIER)

    def _to_ch(self, ch: bytes, image: bytes) -> bool:
        return self.han.chf.ota_server.distribute(image, [int.from_bytes(self.eui, "big")])

    def image(self, *, signer_key=None, list_on_cpl: bool = True, version: int = 0x200) -> bytes:
        """A release (0x200 unless told) of the meter's model by the bench manufacturer, listed on the CPL."""
        manufacturer, model, _ = DEVICE_MODELS[self.role]
        text = f"{version >> 16 & 0xFF}.{version >> 8 & 0xFF}.{version & 0xFF}"
        data = build(OtaHeader(manufacturer, model, version, f"{self.role.upper()} {text}", hardware_min=1,
                               hardware_max=0x20),
                     emulated.manufacturer_image(text, 4000), signer_id(manufacturer),
                     signer_key or manufacturer_key(self.han.provisioning.smki_dir, BENCH_MANUFACTURER))
        if list_on_cpl:
            self.list_on_cpl(data)
        return data

    def list_on_cpl(self, image: bytes) -> None:
        header = parse(image).header
        self.cpl.add(CplEntry(header.manufacturer, header.image_type, header.file_version, _hash(image), 1, 0x20))

    def update_firmware(self, image: bytes):
        """SRV 11.1 for the meter: the DCC's service response."""
        return self.services.update_firmware(SUPPLIER, image, parse(image).header.file_version, [self.eui])

    def distribute(self, image: bytes, *, download_for: float = 1800):
        """SRV 11.1, then the meter downloads the image from its CH over the HAN (for at most `download_for`
        seconds); the receipt alert(s) it sent."""
        before = len(self.han.devices.alerts)
        response = self.update_firmware(image)
        assert response.ok, f"precondition: SRV 11.1 refused: {response.detail} {response.failed}"
        self.han.device(self.role).download_firmware(self.han.eui_int("chf"), timeout=download_for)
        self.han.run_for(10)
        return [a for a in self.han.devices.alerts[before:] if a.header.message_code == FDRA[self.role]]

    def cs06(self, image_hash: bytes, execution=None, *, critical: bool = True):
        """SRV 11.3: (response code, firmware version), None for NULL (stored), or "no response"."""
        _, response = self.han.devices.request(self.supplier, self.eui, CS06, cs06_payload(image_hash, execution),
                                               critical=critical, what="CS06")
        return "no response" if response is None else cs06_outcome(response.header.payload)

    def read_version(self):
        """SRV 11.2 Read Firmware Version (ECS52 / GCS38): the version the meter reports, or "no response"."""
        code, payload, version = (ECS52, ecs52_payload, ecs52_version) if self.role == "esme" else \
            (GCS38, gcs38_payload, gcs38_version)
        _, response = self.han.devices.request(self.supplier, self.eui, code, payload, critical=False,
                                               what="SRV 11.2")
        return "no response" if response is None else version(response.header.payload)

    def past_execution_time(self) -> list:
        """Let an hour and a minute pass (beyond a future-dated CS06's time); the 0x00CA alerts raised meanwhile."""
        before = len(self.han.devices.alerts)
        self.han.run_for(3600 + 60)
        self.han.run_for(10)  # an alert the meter raised as the clock passed T travels up through the CH
        return [a for a in self.han.devices.alerts[before:] if a.header.message_code == FUTURE_DATED_FIRMWARE_ALERT]

    def running_version(self) -> bytes:
        """The version the meter reports in a CS06 refusal (a hash no image has): a read that activates nothing."""
        outcome = self.cs06(b"\xA5" * 32)
        assert outcome not in ("no response", None), f"no CS06 response to read the version from: {outcome}"
        return outcome[1]


@pytest.fixture
def fw(han) -> Firmware:
    """Topology: the CH commissioned, the ESME commissioned on its HAN; the supplier's firmware side for it."""
    commissioned(han, "esme")
    return Firmware(han)


def _hash(image: bytes) -> bytes:
    return parse(image).manufacturer_image_hash


def power_cut(bench, role: str, off_for: float = 0.0) -> None:
    """The bench cuts the role's power supply (for `off_for` seconds) and restores it (RAM lost, flash kept); SKIP
    on a bench that has no power control for it (a real device under test)."""
    if role not in bench.roles:
        pytest.skip(f"the bench has no power control for the {role}")
    if off_for and not bench.timed_power_cuts:
        pytest.skip(f"the bench cannot keep the {role} off for {off_for:.0f} s (it runs in real time)")
    bench.power_cycle(role, off_for)


@pytest.mark.scenario(80)
@pytest.mark.clause("BAD 7.5.3.6.2-3, 7.5.3.6.6; GBCS CS06, FDRA 0x00CE (DLMS) / 0x00CF (GBZ), ECS52 / GCS38")
@pytest.mark.parametrize("meter", per_device("esme", "gsme"))
def test_firmware_distributed_then_activated_by_cs06(han, meter):
    commissioned(han, meter)
    fw = Firmware(han, meter)
    image = fw.image()

    # Actions: SRV 11.1 Update Firmware; the meter downloads the image over the HAN; SRV 11.3 Activate Firmware
    receipts = fw.distribute(image)

    # "Meter verifies the ... signature inside the image ... sends Firmware Distribution Receipt alert: 0x8F72 success"
    assert len(receipts) == 1, f"{len(receipts)} receipt alerts from the {meter} (rejected: {han.devices.rejected})"
    assert alert_code(receipts[0]) == 0x8F72 and receipts[0].header.payload.endswith(_hash(image)), \
        "the receipt is not 0x8F72 with the Calculated Manufacturer Hash of the image"
    # "Immediate CS06: ... hash in CS06 equals hash computed over stored Manufacturer Image; activate; ... Response
    # with result code + resulting FW version"
    assert fw.read_version() == OLD, "before the CS06, SRV 11.2 does not read the version the meter ran"
    assert fw.cs06(_hash(image)) == (SUCCESS, NEW)
    # "Proof: ... 11.2 returns new version"
    assert fw.read_version() == NEW, "SRV 11.2 (ECS52 / GCS38) does not read the activated version"


@pytest.mark.scenario(85)
@pytest.mark.clause("BAD 7.5.3.6.2 D; GBCS FDRA 0x8F1C")
@pytest.mark.parametrize("tamper", ["flipped_byte", "foreign_signer"])
def test_tampered_image_is_refused_and_nothing_is_staged(han, tamper):
    commissioned(han, "esme")
    fw = Firmware(han)
    genuine = fw.image()
    if tamper == "flipped_byte":  # listed on the CPL as it is: only the meter's signature check can catch it
        bad = bytearray(genuine)
        bad[len(bad) // 2] ^= 0x04
        bad = bytes(bad)
        fw.cpl.add(CplEntry(*DEVICE_MODELS["esme"][:2], 0x200, _hash(bad), 1, 0x20))
    else:
        bad = fw.image(signer_key=ec.generate_private_key(ec.SECP256R1()))

    # Action: the tampered image is distributed
    receipts = fw.distribute(bad)

    # "corrupted download (signature fails ⇒ 0x8F1C, no activation possible)"
    assert [alert_code(r) for r in receipts] == [0x8F1C], "the tampered image was not refused with 0x8F1C"
    assert fw.cs06(_hash(bad)) == (NO_IMAGE_HELD, OLD), "the tampered image was staged"
    # Positive control in the same state: the genuine image is received (0x8F72) and activates
    assert [alert_code(r) for r in fw.distribute(genuine)] == [0x8F72]
    assert fw.cs06(_hash(genuine)) == (SUCCESS, NEW)


@pytest.mark.scenario(86)
@pytest.mark.clause("BAD 7.5.3.6.3; GBCS CS06 hashMismatch")
def test_cs06_whose_hash_differs_from_the_held_image_is_refused(han):
    commissioned(han, "esme")
    fw = Firmware(han)
    image = fw.image()
    fw.distribute(image)

    # "CS06 hash ≠ stored image ... on failure keep old; Response with result code + resulting FW version"
    other = bytes(b ^ 0xFF for b in _hash(image))
    assert fw.cs06(other) == (HASH_MISMATCH, OLD)
    # Positive control: the right hash activates
    assert fw.cs06(_hash(image)) == (SUCCESS, NEW)


@pytest.mark.scenario(87)
@pytest.mark.clause("BAD 7.5.3.6.3; GBCS CS06 noImageHeld; GBCS 5 (critical commands)")
def test_cs06_without_an_image_or_unsigned_is_refused(han):
    commissioned(han, "esme")
    fw = Firmware(han)
    image = fw.image()

    # "CS06 without stored image" fails with noImageHeld
    assert fw.cs06(_hash(image)) == (NO_IMAGE_HELD, OLD)
    fw.distribute(image)
    # "CS06 with bad signature/MAC": an unsigned CS06 gets no response and activates nothing
    assert fw.cs06(_hash(image), critical=False) == "no response"
    assert fw.running_version() == OLD
    # Positive control: the signed CS06 activates
    assert fw.cs06(_hash(image)) == (SUCCESS, NEW)


@pytest.mark.scenario(87)
@pytest.mark.clause("BAD 7.5.3.6.3; GBCS 5 (critical commands: anti-replay counter)")
def test_replayed_cs06_is_refused(han):
    commissioned(han, "esme")
    fw = Firmware(han)
    image = fw.image()
    fw.distribute(image)
    at = han.clock.now() + 3600
    first, response = han.devices.request(SUPPLIER, fw.eui, CS06, cs06_payload(_hash(image), at), critical=True,
                                          what="CS06 (future-dated)")
    assert response is not None and cs06_outcome(response.header.payload) is None, \
        "precondition: the future-dated CS06 was not stored"
    assert fw.cs06(_hash(image), CANCEL) is None, "precondition: the cancellation was not stored"

    # Action: the first (future-dated) CS06 is replayed; had it been accepted, it would run at its time
    han.devices.transmit(first.data, "the same future-dated CS06, replayed")

    # "CS06 ... replayed ⇒ rejected (GBCS counter)": it never runs
    assert not fw.past_execution_time(), "the replayed CS06 ran (0x00CA alert)"
    assert fw.running_version() == OLD, "the replayed CS06 activated the image"
    assert fw.cs06(_hash(image)) == (SUCCESS, NEW)  # positive control: a fresh signed CS06 activates


@pytest.mark.scenario(88)
@pytest.mark.clause("BAD 7.5.3.6.3 (a meter must never activate without a valid CS06)")
def test_upgrade_end_saying_upgrade_now_activates_nothing(han):
    commissioned(han, "esme")
    fw = Firmware(han)
    image = fw.image()
    han.chf.ota_server.upgrade_now = True  # stimulus: an UpgradeEndResponse "upgrade now" (a CH never sends it)

    fw.distribute(image)
    han.run_for(60)

    # "A meter must never activate without a valid CS06"
    assert fw.running_version() == OLD, "the ESME activated the image without a CS06"
    assert fw.cs06(_hash(image)) == (SUCCESS, NEW)  # positive control


@pytest.mark.scenario(89, 94)
@pytest.mark.clause("BAD 7.5.3.6.3 (future-dated CS06; power loss during activation); GBCS alert 0x00CA")
def test_future_dated_cs06_survives_a_power_cut_runs_at_its_time_and_reports_0x00ca(han, bench, fw):
    image = fw.image()
    fw.distribute(image)
    at = han.clock.now() + 3600

    # "Future-dated CS06: standard critical-command checks, store, CS06 Response confirming validation/storage"
    assert fw.cs06(_hash(image), at) is None, "the future-dated CS06 was not answered NULL (stored)"
    assert fw.running_version() == OLD, "the image ran before its execution time"
    # Action: the meter loses power (and gets it back) while the stored activation waits for its time
    han.run_for(600)
    power_cut(bench, "esme")
    alerts = fw.past_execution_time()

    # "at time T run the immediate steps; alert 0x00CA success/failure" (the activation stored before the cut)
    assert len(alerts) == 1, "no 0x00CA alert: the activation did not run (was it lost in the power cut?)"
    assert alerts[0].header.payload[2:7] == bytes.fromhex("0203008F66"), "the 0x00CA alert does not report 0x8F66"
    assert alerts[0].header.payload.endswith(bytes.fromhex("3009020100040400000200")), \
        "the 0x00CA alert does not report success with the new version"
    # "Power loss during ... activation → device ... reports consistently": it runs what its alert said
    assert fw.running_version() == NEW


@pytest.mark.scenario(89)
@pytest.mark.clause("BAD 7.5.3.6.3; RTDS 11.3_CS06 cancellation (re-dated to 9999-12-31)")
def test_future_dated_cs06_re_dated_to_9999_never_runs(han):
    commissioned(han, "esme")
    fw = Firmware(han)
    image = fw.image()
    fw.distribute(image)
    at = han.clock.now() + 3600

    assert fw.cs06(_hash(image), at) is None
    # Action: the supplier re-dates the activation to 9999-12-31 (the cancellation)
    assert fw.cs06(_hash(image), CANCEL) is None
    assert not fw.past_execution_time(), "the cancelled activation ran (0x00CA alert)"
    assert fw.running_version() == OLD, "the cancelled activation ran"
    assert fw.cs06(_hash(image)) == (SUCCESS, NEW)  # positive control


def change_of_supplier(han, device: bytes):
    """SRV 6.23: the CS02b (supplierByTransCoS) the Transitional CoS party sends to replace the device's Supplier
    certificates with the gaining supplier's; each cell's outcome in the device's response, or "no response"."""
    keys = han.provisioning.keystore
    payload = cos_payload(keys.certificate(GAINING_SUPPLIER, "ds"), keys.certificate(GAINING_SUPPLIER, "ka"),
                          ca_chain_certificate(han.provisioning.smki_dir, "org-ca"))
    _, response = han.devices.request(TRANSITIONAL_COS, device, CS02B_COS, payload, critical=True,
                                      what="CS02b (change of supplier)")
    return "no response" if response is None else cos_outcomes(response.header.payload)


@pytest.mark.scenario(90)
@pytest.mark.clause("BAD 7.7.1.5.4 (CoS: future-dated Activate Firmware re-timed never to execute); "
                    "GBCS CS02b supplierByTransCoS (0x0107), CS06, alert 0x00CA")
def test_change_of_supplier_before_the_execution_time_voids_the_future_dated_activation(han, fw):
    image = fw.image()
    fw.distribute(image)
    at = han.clock.now() + 3600

    # "Future-dated CS06: standard critical-command checks, store, CS06 Response confirming validation/storage"
    assert fw.cs06(_hash(image), at) is None, "precondition: the future-dated CS06 was not answered NULL (stored)"
    # Action: the change of supplier (SRV 6.23) before the execution time
    han.run_for(600)
    replaced = change_of_supplier(han, fw.eui)

    # "Device: replace supplier certs": both Supplier cells now hold the gaining supplier's certificates ...
    assert replaced != "no response", "the meter did not answer the CoS CS02b"
    assert [(r.key_usage, r.status, r.new) for r in replaced] == \
        [(DIGITAL_SIGNATURE, 0, GAINING_SUPPLIER), (KEY_AGREEMENT, 0, GAINING_SUPPLIER)], \
        f"the CS02b response does not report both Supplier cells replaced by the gaining supplier: {replaced}"
    # ... so the losing supplier's critical command is no longer run, and the gaining supplier's is
    assert fw.cs06(bytes(32)) == "no response", "the meter still runs the losing supplier's CS06"
    fw.supplier = GAINING_SUPPLIER
    assert fw.cs06(bytes(32)) == (HASH_MISMATCH, OLD), "the meter does not answer the gaining supplier's CS06"
    # "re-time future-dated Update Security Credentials and Activate Firmware so they never execute"
    assert not fw.past_execution_time(), "the activation pending at the change of supplier ran (0x00CA alert)"
    assert fw.read_version() == OLD, "SRV 11.2 reads a new version: the voided activation ran"
    # Positive control in the same state: the image is still held, and the gaining supplier's own CS06 activates it
    assert fw.cs06(_hash(image)) == (SUCCESS, NEW)


@pytest.mark.scenario(91, 94)
@pytest.mark.clause("BAD 7.5.3.6.4 (staged images); BAD 7.5.3.6.3 (power loss mid-download)")
def test_staged_images_in_order_and_a_power_cut_mid_download(han, bench, fw):
    first = fw.image()
    second = fw.image(version=0x300, list_on_cpl=False)

    # "Supplier distributes+activates image 1, waits for success, then image 2"
    assert [alert_code(r) for r in fw.distribute(first)] == [0x8F72]
    assert fw.cs06(_hash(first)) == (SUCCESS, NEW)
    # "each with its own CPL entry": image 2 is refused by the DCC until its entry is on the CPL (N18/N21) ...
    refused = fw.update_firmware(second)
    assert not refused.ok and refused.detail.startswith(("N18", "N21")), refused.detail
    fw.list_on_cpl(second)  # ... and accepted (below) once it is

    # Action: image 2's download starts; the bench cuts the meter's power part-way through it
    served = han.chf.ota_server.transfers.get(han.eui_int("esme"))
    before = served.octets if served else 0
    assert fw.distribute(second, download_for=0.1) == [], "precondition: the download was not cut part-way"
    part = han.chf.ota_server.transfers[han.eui_int("esme")].octets - before
    assert 0 < part < len(second), f"precondition: {part} of {len(second)} octets served before the cut"
    power_cut(bench, "esme")

    # "Power loss during download ... device stays on old firmware and reports consistently"
    assert fw.running_version() == NEW, "after the power cut the meter does not run the image it ran before"
    # the download resumes (or restarts) when the image is distributed again, and image 2 then activates in turn
    assert [alert_code(r) for r in fw.distribute(second)] == [0x8F72], "image 2 was not received after the cut"
    assert fw.cs06(_hash(second)) == (SUCCESS, NEXT)


class ChFirmware:
    """The CH's own firmware (BAD 7.5.3.6.5): its release 0.2.0 on the CPL, the DCC's firmware services, and CS06
    as the WAN Provider signs it."""

    def __init__(self, han):
        self.han = han
        self.ch = han.eui("chf")
        manufacturer, model, hardware = DEVICE_MODELS["chf"]
        self.services = FirmwareServices(Cpl(han.provisioning.smki_dir), han.smi, han.clock,
                                         lambda _ch, _image: False)  # no SRV 11.1 here
        self.services.models[self.ch] = DeviceModel(manufacturer, model, hardware, 0x100, WAN_PROVIDER)
        self.image = build(OtaHeader(manufacturer, model, 0x200, "CHF 0.2.0", hardware_min=1, hardware_max=0x20),
                           emulated.manufacturer_image("0.2.0", 4000), signer_id(manufacturer),
                           manufacturer_key(han.provisioning.smki_dir, BENCH_MANUFACTURER))
        self.services.cpl.add(CplEntry(manufacturer, model, 0x200, _hash(self.image), 1, 0x20))

    def deliver(self):
        """The DCC gives the CH its image (the DCC path): its response."""
        return self.services.update_ch_firmware(self.ch, self.image, self.han.chf.deliver_firmware)

    def cs06(self, image_hash: bytes, execution=None, *, critical: bool = True):
        """SRV 11.3 for the CH: (response code, firmware version), None for NULL (stored), or "no response"."""
        _, response = self.han.devices.request(WAN_PROVIDER, self.ch, CS06, cs06_payload(image_hash, execution),
                                               critical=critical, what="CS06 (CH)")
        return "no response" if response is None else cs06_outcome(response.header.payload)


@pytest.mark.scenario(92)
@pytest.mark.clause("BAD 7.5.3.6.5 (CH firmware: DCC path, 7-day notice, CS06 with the WAN Provider's signature)")
@pytest.mark.roles("chf")
@pytest.mark.dut("chf")
def test_ch_firmware_is_activated_only_by_a_cs06_the_wan_provider_signed(han):
    han.commission_ch()
    ch_fw = ChFirmware(han)
    services, image, cs06 = ch_fw.services, ch_fw.image, ch_fw.cs06

    # "DCC must have image + creator's signature ... DCC computes hash and matches CPL" and gives the CH its image
    delivered = ch_fw.deliver()
    assert delivered.ok, f"the CH did not take its image: {delivered.detail}"
    # "notify Users ≥7 days before activation unless urgent security fix"
    notice = services.notices[-1]
    assert notice.activation - notice.given >= NOTICE

    # "[N] CS06 for CH without WAN Provider signature rejected": no response, and the image does not run
    assert cs06(_hash(image), critical=False) == "no response", "the CH ran a CS06 without the WAN Provider's signature"
    # positive control in the same state: a CS06 the WAN Provider signed is answered (a wrong hash: nothing runs)
    assert cs06(bytes(32)) == (HASH_MISMATCH, OLD), "the CH does not run the image it ran before"

    # "activation via CS06 (DSP MAC + WAN Provider signature)", at the time the notice gave
    assert cs06(_hash(image), notice.activation) is None, "the CH did not store its future-dated CS06"
    before = len(han.dcc.alerts)  # the CH's own alerts
    han.run_for(notice.activation - han.clock.now() + 60)
    alerts = [a for a in han.dcc.alerts[before:] if a.header.message_code == FUTURE_DATED_FIRMWARE_ALERT]
    assert len(alerts) == 1 and alerts[0].header.payload.endswith(bytes.fromhex("3009020100040400000200")), \
        "the CH did not report its activation (0x00CA, success, version 0x200)"
    assert cs06(bytes(32)) == (NO_IMAGE_HELD, NEW), "the CH does not report the activated version"


def ad1_for_the_ch(han) -> list:
    """The AD1 power outage alerts the DCC sent for the CH."""
    return han.smi.alerts_for(han.eui("chf"), AD1)


@pytest.mark.scenario(93)
@pytest.mark.clause("TAB DP096 (false AD1 power-outage alerts coinciding with OTA updates); BAD 7.5.6.5.2 (AD1: "
                    "CH mains off 3 minutes or more); BAD 7.5.3.6.5 (the CH's own CS06)")
@pytest.mark.roles("chf")
@pytest.mark.dut("chf")
def test_ch_reboot_into_new_firmware_or_plain_raises_no_ad1_but_a_power_cut_does(han, bench):
    han.commission_ch()
    ch_fw = ChFirmware(han)
    assert ch_fw.deliver().ok, "precondition: the CH did not take its image"
    han.run_for(OUTAGE_WATCH)  # the CH runs on mains a while

    # Action: the CH's own CS06 (the WAN Provider's) activates its new image now; the CH restarts into it
    assert ch_fw.cs06(_hash(ch_fw.image)) == (SUCCESS, NEW), "precondition: the CH did not activate its image"
    han.run_for(OUTAGE_WATCH)
    # "rig should check CH/meter reboot behaviour doesn't raise spurious outage alerts" (TAB DP096): no AD1 ...
    assert not ad1_for_the_ch(han), "the DCC sent AD1 for the CH's restart into its new firmware"
    # ... and the CH runs the new image (it did restart into it): a CS06 refusal reports the running version
    assert ch_fw.cs06(bytes(32)) == (NO_IMAGE_HELD, NEW), "the CH does not report the version it activated"

    # Action: a plain software reboot of the CH
    bench.reboot("chf")
    han.run_for(OUTAGE_WATCH)
    assert not ad1_for_the_ch(han), "the DCC sent AD1 for a software reboot of the CH"

    # Positive control: "CH mains loss >= 3 min => DCC sends AD1 to Supplier + ED": the bench cuts the CH's power
    # for 4 minutes; after power returns the CH reports the outage and the DCC sends AD1
    power_cut(bench, "chf", off_for=240)
    han.run_for(60)
    assert len(ad1_for_the_ch(han)) == 1, "no AD1 after the CH's mains were off for 4 minutes"
