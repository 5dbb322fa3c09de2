"""The seam GBCS-over-the-HAN will use: a device's GBCS role with the OTA wiring (firmware/ota_role.py) takes a CS06
the DCC core built, signed and MAC'd, checks it with the board's own crypto and activates through its OTA client;
the DCC core verifies the signed response, the Firmware Distribution Receipt (0x00CE) and the 0x00CA alert.
CPython only (the DCC core is host code); the board-side pieces also run under MicroPython in tests/firmware."""
from __future__ import annotations

import datetime

import pytest

from emulators.provision import DEVICE_MODELS, SUPPLIER, Provisioning
from firmware import ota_role
from firmware.fwstore import FirmwareStore
from firmware.hal import Hal
from firmware.ota_client import OtaClient
from firmware.roles.gbcs_role import GbcsRole
from harness.dcc.core import DccCore
from harness.dcc.counters import CounterStore
from harness.dcc.firmware import CANCEL, CS06, cs06_outcome, cs06_payload
from harness.gbcs.apdu import Message
from harness.gbcs.asn1 import Tlv
from harness.ota import emulated
from harness.ota.image import OtaHeader, build, parse
from harness.shared import shared_path
from harness.smki.cpl import manufacturer_key, signer_id
from rig.clock import DEFAULT_EPOCH

ESME = bytes.fromhex("00DB1234567890A0")


class OtaMeter(GbcsRole):
    """A GBCS device role wired to its OTA client, as the meter roles will be."""

    name = "esme"

    def setup(self):
        GbcsRole.setup(self)
        self.ota_handlers = ota_role.attach(self)

    def handlers(self):
        return self.ota_handlers


@pytest.fixture(scope="module")
def prov(tmp_path_factory):
    return Provisioning(tmp_path_factory.mktemp("cs06") / "prov", {"esme": ESME.hex(), "chf": "00DB1234567890A2"})


@pytest.fixture
def meter(prov, tmp_path):
    events: list[tuple[str, dict]] = []
    hal = Hal(lambda name, data: events.append((name, data)), str(tmp_path),
              {"role": "esme", "gbcs": prov.gbcs_config("esme"), "ota": prov.ota_config("esme")})
    hal.clock.set(int(DEFAULT_EPOCH * 1000))
    client = OtaClient(hal, hal.config["ota"], FirmwareStore(hal.flash, str(tmp_path), "0.1.0"))
    hal.ota_client = lambda: client
    core = DccCore(prov.keystore, CounterStore(tmp_path / "counters.json"))
    return OtaMeter(hal), core, events


def image(prov: Provisioning, version: str, file_version: int) -> bytes:
    manufacturer, model, _ = DEVICE_MODELS["esme"]
    return build(OtaHeader(manufacturer, model, file_version, "x", hardware_min=1, hardware_max=0x20),
                 emulated.manufacturer_image(version, 3000), signer_id(manufacturer),
                 manufacturer_key(prov.smki_dir, manufacturer))


def deliver(role: OtaMeter, data: bytes) -> dict:
    ota = role.hal.ota_client()
    ota.begin({"manufacturer": int.from_bytes(data[10:12], "little"),
               "image_type": int.from_bytes(data[12:14], "little"),
               "file_version": int.from_bytes(data[14:18], "little"), "total": len(data)})
    ota.block({"offset": 0, "hex": data.hex()})
    return ota.end({})


def alerts(core: DccCore, events: list) -> list:
    return [core.receive(bytes.fromhex(d["hex"])) for n, d in events if n == "alert"]


def send(role: OtaMeter, core: DccCore, image_hash: bytes, execution=None, *, critical: bool = True):
    command = core.command(SUPPLIER, ESME, CS06, cs06_payload(image_hash, execution), critical=critical)
    answer = role.gbcs_command({"hex": command.data.hex()})
    return command, answer


def test_receipt_then_cs06_activation_verified_by_the_dcc(meter, prov):
    role, core, events = meter
    data = image(prov, "0.2.0", 0x200)
    image_hash = parse(data).manufacturer_image_hash
    assert deliver(role, data)["ok"]
    (receipt,) = alerts(core, events)
    assert receipt.header.message_code == 0x00CE and receipt.header.recipient == SUPPLIER
    assert receipt.message.grouping.signature  # a critical alert: signed by the device
    assert b"\x12\x8f\x72" in receipt.header.payload and receipt.header.payload.endswith(image_hash)

    _, refused = send(role, core, image_hash, critical=False)  # unsigned: CS06 is critical
    assert refused["response"] is None and refused["rejected"] == "signature_missing"
    _, wrong = send(role, core, bytes(32))
    assert cs06_outcome(core.receive(bytes.fromhex(wrong["response"])).header.payload) == (2, bytes.fromhex("00000100"))
    command, right = send(role, core, image_hash)
    assert cs06_outcome(core.receive(bytes.fromhex(right["response"])).header.payload) == (0, bytes.fromhex("00000200"))
    assert role.hal.ota_client().version() == "0.2.0"
    replay = role.gbcs_command({"hex": command.data.hex()})
    assert replay["response"] is None and replay["rejected"] == "counter_not_greater"
    _, none_held = send(role, core, image_hash)
    assert cs06_outcome(core.receive(bytes.fromhex(none_held["response"])).header.payload) == \
        (1, bytes.fromhex("00000200"))


def test_future_dated_cs06_runs_at_its_time_with_0x00ca_and_a_redated_one_never_runs(meter, prov):
    role, core, events = meter
    data = image(prov, "0.3.0", 0x300)
    image_hash = parse(data).manufacturer_image_hash
    deliver(role, data)
    at = DEFAULT_EPOCH + 3600
    command, stored = send(role, core, image_hash, at)
    assert cs06_outcome(core.receive(bytes.fromhex(stored["response"])).header.payload) is None
    role.hal.clock.advance(3600 * 1000)
    role.hal.ota_client().on_time(role.hal.clock.now_ms())
    alert = alerts(core, events)[-1]
    assert alert.header.message_code == 0x00CA and role.hal.ota_client().version() == "0.3.0"
    counter = command.header.counter.to_bytes((command.header.counter.bit_length() + 8) // 8, "big")
    expected = Tlv(b"\x30", b"".join(t.encode() for t in (
        Tlv(b"\x02", b"\x00\x8f\x66"), Tlv(b"\x18", b"20260101010000Z"), Tlv(b"\x02", counter),
        Tlv(b"\x30", Tlv(b"\x02", b"\x00").encode() + Tlv(b"\x04", bytes.fromhex("00000300")).encode())))).encode()
    assert alert.header.payload == expected  # 0x8F66, the CS06's execution time and counter, outcome and version

    deliver(role, image(prov, "0.4.0", 0x400))
    send(role, core, image_hash, at + 7200)
    send(role, core, image_hash, CANCEL)  # re-dated to 9999-12-31: cancelled
    role.hal.clock.advance(4 * 3600 * 1000)
    assert role.hal.ota_client().on_time(role.hal.clock.now_ms()) is None and role.hal.ota_client().version() == "0.3.0"


def test_cs06_payload_matches_rtds():
    folder = shared_path("rtds", "RTDS-4.5.0", "11.3_CS06")
    if folder is None:
        pytest.skip("shared RTDS is absent")
    rtds = Message.decode(bytes.fromhex((folder / "CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX").read_text()))
    hash_ = rtds.grouping.payload[4:36]
    when = datetime.datetime(2030, 1, 15, 9, 0, 0, tzinfo=datetime.timezone.utc)
    assert cs06_payload(hash_, when)(rtds.grouping.counter) == rtds.grouping.payload
