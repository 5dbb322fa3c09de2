"""OTA distribution over the HAN on the sim bench (a project test; the conformance suite follows once GBCS reaches
the meters over the HAN): the CHF's OTA server serves a bench-built image, the ESME's host half downloads it over
the simulated radio into its board, whose own crypto checks it; a tampered image is refused with 0x8F1C; the
server's UpgradeEndResponse activates nothing; the transfer survives 10% radio loss and a power cut."""
from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest

from emulators.medium.medium import Impairments
from emulators.provision import DEVICE_MODELS, SUPPLIER, Provisioning
from harness.capture.pcap import read_pcap
from harness.ota import emulated
from harness.ota.image import OtaHeader, build, parse
from harness.dcc.firmware import CCS08, TRANSFER_ALLOWANCE, DeviceModel, FirmwareServices, ccs08_report
from harness.gbcs.apdu import Message
from harness.dcc.smi import Status
from harness.smki.cpl import Cpl, CplEntry, manufacturer_key, signer_id
from harness.zigbee import ota
from rig.bench.builtin import sim_bench
from rig.bench.model import Bench
from rig.bench.runtime import BenchRuntime
from rig.han_session import HanSession

SIZE = 6000


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    full = sim_bench()
    bench = Bench(name="chf-esme", roles={r: full.roles[r] for r in ("chf", "esme")})
    tmp = tmp_path_factory.mktemp("ota")
    prov = Provisioning(tmp / "prov", {r: e.eui64 for r, e in bench.roles.items()})
    with BenchRuntime(bench, tmp / "bench", board_extra=prov.board_config) as rt:
        yield rt, prov, tmp


def esme_image(prov: Provisioning, version: str = "0.2.0", file_version: int = 0x200, *,
               hardware: tuple[int, int] = (0x0001, 0x0020)) -> bytes:
    manufacturer, model, _ = DEVICE_MODELS["esme"]
    header = OtaHeader(manufacturer, model, file_version, f"ESME {version}", hardware_min=hardware[0],
                       hardware_max=hardware[1])
    return build(header, emulated.manufacturer_image(version, SIZE), signer_id(manufacturer),
                 manufacturer_key(prov.smki_dir, manufacturer))


@pytest.fixture
def han(runtime, request):
    rt, prov, tmp = runtime
    for role in rt.roles:
        rt.link(role).call("reset")
    session = HanSession(rt, prov, tmp / request.node.name, seed=3)
    try:
        session.prenotify("esme")
        assert session.dcc.add_device(session.chf_eui, session.eui("esme"), prov.install_code("esme"), 90).ok
        session.run_for(1)
        assert session.device("esme").join(session.chf.identity.eui_int, timeout=60).joined
        session.medium.set_default(Impairments(loss=getattr(request, "param", 0.0)))  # from here on: the transfer
        yield session
    finally:
        session.close()


def distribute(han: HanSession, image: bytes, *, buffering: float = 0.0):
    esme = int.from_bytes(han.eui("esme"), "big")
    han.chf.ota_server.load(image, buffering=buffering)
    han.chf.ota_server.notify(esme)
    return han.device("esme").ota().run(han.chf.identity.eui_int, timeout=1800), esme


def test_srv_11_1_through_the_ch_to_the_meter(han, runtime):
    """SRV 11.1 checked against the CPL, handed to the CH, served over the HAN; the meter's receipt carries the
    hash the CPL lists."""
    prov = runtime[1]
    image = esme_image(prov)
    manufacturer, model, hardware = DEVICE_MODELS["esme"]
    cpl = Cpl(prov.smki_dir)
    cpl.add(CplEntry(manufacturer, model, 0x200, parse(image).manufacturer_image_hash, 0x0001, 0x0020))
    esme = int.from_bytes(han.eui("esme"), "big")
    services = FirmwareServices(cpl, han.smi, han.clock,
                                lambda ch, data: han.chf.ota_server.distribute(data, [esme]))
    services.models[han.eui("esme")] = DeviceModel(manufacturer, model, hardware, 0x100, SUPPLIER)
    han.smi.set_status(han.eui("esme"), Status.COMMISSIONED, han.clock.now())
    response = services.update_firmware(SUPPLIER, image, 0x200, [han.eui("esme")])
    assert response.ok and response.accepted == [han.eui("esme")]
    result = han.device("esme").ota().run(han.chf.identity.eui_int, timeout=1800)
    assert result.stage == "ended" and bytes.fromhex(result.receipt["hash"]) == response.entry.image_hash
    han.run_for(1)
    # the CH reports the transfer with CCS08, signed and verified by the DCC core like every alert
    (ccs08,) = [Message.decode(e.data) for e in han.dcc.transcript
                if e.direction == "from-device" and Message.decode(e.data).grouping.message_code == CCS08]
    assert not han.dcc.violations and ccs08.grouping.signature
    device, version, code = ccs08_report(ccs08.grouping.payload)
    assert (device, version, code) == (han.eui("esme"), bytes.fromhex("00000200"), 0)
    services.transfer_reported(han.chf_eui, device, code)
    han.run_for(TRANSFER_ALLOWANCE + 1)
    assert [a.code for a in han.smi.alerts if a.code.startswith("N2") and a.code != "N24"] == []  # no N22 / N23


def test_distribution_end_to_end_without_activation(han, runtime):
    prov = runtime[1]
    image = esme_image(prov)
    result, esme = distribute(han, image, buffering=5.0)
    assert result.stage == "ended", result
    assert result.waits >= 1  # WAIT_FOR_DATA while the CH was still buffering the image
    assert result.receipt["ok"] and result.receipt["alert"] == 0x8F72
    assert result.receipt["hash"] == parse(image).manufacturer_image_hash.hex().upper()
    transfer = han.chf.ota_server.transfers[esme]
    assert transfer.end_status == ota.SUCCESS and transfer.octets == len(image)
    # the CH never tells a device to activate: "wait for another UpgradeEndResponse", which never comes
    assert result.end_response.upgrade_time == ota.UPGRADE_LATER
    status = han.device("esme").link.call("ota.status")
    assert status["held"]["version"] == "0.2.0" and status["running"]["version"] == "0.1.0"
    assert han.device("esme").link.call("hello")["fw"] == "0.1.0"
    _, frames = read_pcap(han.capture.path)
    assert len(frames) > 4 * len(image) // 48
    tshark = shutil.which("tshark")
    if tshark is not None:  # the evidence: Wireshark decodes the OTA exchange inside NWK and APS encryption
        rows = ota_rows(tshark, han.capture)
        blocks = [r for r in rows if r[0] == "0x05"]
        assert {r[0] for r in rows} >= {"0x00", "0x01", "0x02", "0x03", "0x05", "0x06", "0x07"}, rows[:5]
        assert len(blocks) >= result.blocks and sum(int(r[1] or 0) for r in blocks) >= len(image)
        assert max(int(r[2]) for r in rows) <= 127  # every OTA frame fits the 127-octet 802.15.4 PSDU


def ota_rows(tshark: str, capture) -> list[tuple[str, str, str]]:
    """(OTA command id, data size, frame length) of every ZCL OTA frame tshark decodes in the capture (with its
    keys file)."""
    argv = shlex.split(capture.keys.tshark_command())
    argv[0] = tshark
    argv.remove("-V")
    argv += ["-T", "fields", "-E", "separator=|",
             "-e", "zbee_zcl_general.ota.cmd.srv_rx.id", "-e", "zbee_zcl_general.ota.cmd.srv_tx.id",
             "-e", "zbee_zcl_general.ota.data_size", "-e", "frame.len"]
    out = subprocess.run(argv, cwd=capture.path.parent, capture_output=True, text=True, timeout=300, check=True)
    rows = [line.split("|") for line in out.stdout.splitlines()]
    return [(rx or tx, size, length) for rx, tx, size, length in rows if rx or tx]


def test_upgrade_now_from_the_server_activates_nothing(han, runtime):
    """Stimulus: a server that says "upgrade now" (a CH never does); the meter still waits for CS06."""
    han.chf.ota_server.upgrade_now = True
    result, _ = distribute(han, esme_image(runtime[1]))
    assert result.stage == "ended" and result.end_response.upgrade_time == result.end_response.current_time
    assert han.device("esme").link.call("hello")["fw"] == "0.1.0"
    assert han.device("esme").link.call("ota.status")["held"]["version"] == "0.2.0"


@pytest.mark.parametrize("tamper", ["flipped_byte", "foreign_signer", "hardware_out_of_range"])
def test_tampered_image_is_refused_and_nothing_is_held(han, runtime, tamper):
    prov = runtime[1]
    if tamper == "flipped_byte":
        image = bytearray(esme_image(prov))
        image[len(image) // 2] ^= 0x40
        image = bytes(image)
    elif tamper == "foreign_signer":
        other = Provisioning(runtime[2] / "other", {"esme": "00DB1234567890A0"})
        image = esme_image(other)
    else:
        image = esme_image(prov, hardware=(0x0001, 0x0005))
    result, esme = distribute(han, image)
    if tamper == "hardware_out_of_range":  # the server sees the device's hardware version and offers nothing
        assert result.offered.status == ota.NO_IMAGE_AVAILABLE, result
        assert han.device("esme").link.call("ota.status")["download"] is None
        return
    assert result.stage == "checked" and not result.receipt["ok"], result
    assert result.receipt["alert"] == 0x8F1C and result.receipt["reason"] == "signature"
    status = han.device("esme").link.call("ota.status")
    assert status["held"] is None and status["running"]["version"] == "0.1.0"
    han.run_for(5)
    assert han.chf.ota_server.transfers[esme].end_status == ota.INVALID_IMAGE


@pytest.mark.parametrize("han", [0.1], indirect=True)
def test_block_transfer_under_ten_percent_loss(han, runtime):
    image = esme_image(runtime[1])
    result, _ = distribute(han, image)
    assert result.stage == "ended" and result.receipt["ok"], result
    # the channel lost frames (the MAC repeated them, and where every MAC try was lost, the OTA client asked again)
    assert han.medium.stats.retried > 0, "the channel lost nothing: the test proves nothing"


def test_power_cut_mid_download_resumes_on_the_running_image(han, runtime):
    rt, prov, _ = runtime
    image = esme_image(prov)
    esme_link = han.device("esme").link
    han.chf.ota_server.load(image)
    client = han.device("esme").ota()
    first = client.run(han.chf.identity.eui_int, timeout=0.5, wait_notify=False)  # stopped part-way
    assert first.stage == "blocks" and 0 < first.offset < len(image), first
    rt.board("esme").power_cycle()  # the bench cuts the board's power: RAM lost, flash kept
    esme_link.reconnect()
    assert esme_link.hello.fw == "0.1.0"
    status = esme_link.call("ota.status")
    assert status["running"]["version"] == "0.1.0" and status["offset"] == first.offset
    second = client.run(han.chf.identity.eui_int, timeout=1800, wait_notify=False)
    assert second.stage == "ended" and second.receipt["ok"], second
    assert second.blocks < first.blocks + second.blocks and second.blocks * 48 < len(image)  # it resumed
