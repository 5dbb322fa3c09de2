# The board's OTA client, image checks and firmware store (firmware/ota_client.py, ota_image.py, fwstore.py),
# under CPython and MicroPython. Images are built here with the board's own P-256 code following the LAYOUT of
# harness/ota/image.py; tests/ota/test_board_image_cross.py feeds host-built images to the same checks.
import binascii
import hashlib

from firmware.crypto import ecdsa
from firmware.crypto.p256 import public_key
from firmware.fwstore import FirmwareStore
from firmware.hal import Flash, Hal
from firmware.ota_client import OtaClient
from test_fw_hal import recorder, rmtree, tmpdir

MFR, MODEL, HW = 0x1234, 0x0001, 0x0010
SIGNER = b"MFR\0\0\0\x12\x34"
KEY = b"\x11" * 32
OTHER_KEY = b"\x22" * 32
START_MS = 1767225600000


def manufacturer_image(version, size=3000, defects=""):
    head = ('RIGFW1{"version":"%s","defects":[%s]}\n' % (version, defects)).encode()
    return head + bytes((i * 7) & 0xFF for i in range(size - len(head)))


def build(version="0.2.0", file_version=0x200, mfr=MFR, model=MODEL, hw=(0x0001, 0x0020), key=KEY, body=None):
    body = body or manufacturer_image(version)
    length = 56 + (4 if hw else 0)
    total = length + 6 + len(body) + 6 + 72
    head = (0x0BEEF11E).to_bytes(4, "little") + (0x0100).to_bytes(2, "little") + length.to_bytes(2, "little") \
        + (4 if hw else 0).to_bytes(2, "little") + mfr.to_bytes(2, "little") + model.to_bytes(2, "little") \
        + file_version.to_bytes(4, "little") + (2).to_bytes(2, "little") + b"test" + bytes(28) \
        + total.to_bytes(4, "little")
    if hw:
        head += hw[0].to_bytes(2, "little") + hw[1].to_bytes(2, "little")
    signature = ecdsa.sign(key, head + body)
    return head + b"\x00\x00" + len(body).to_bytes(4, "little") + body \
        + b"\x00\xf0" + (72).to_bytes(4, "little") + SIGNER + signature


_IMAGES = {}


def image(name):
    """Images are signed once per run (P-256 signing is slow under MicroPython)."""
    if name not in _IMAGES:
        _IMAGES[name] = {"good": lambda: build(), "v3": lambda: build("0.3.0", 0x300),
                         "foreign": lambda: build(key=OTHER_KEY),
                         "old_hw": lambda: build(hw=(0x0001, 0x0005))}[name]()
    return _IMAGES[name]


CONFIG = {"manufacturer": MFR, "image_type": MODEL, "hardware": HW, "signer": binascii.hexlify(SIGNER).decode(),
          "signer_public": binascii.hexlify(public_key(KEY)).decode()}


def client(root, defects=(), events=None):
    emit = recorder()[1] if events is None else (lambda n, d: events.append((n, d)))
    hal = Hal(emit, root, {})
    hal.clock.set(START_MS)
    return OtaClient(hal, CONFIG, FirmwareStore(hal.flash, root, "0.1.0"), defects)


def offer(data):
    return {"manufacturer": int.from_bytes(data[10:12], "little"), "image_type": int.from_bytes(data[12:14], "little"),
            "file_version": int.from_bytes(data[14:18], "little"), "total": len(data)}


def download(ota, data, block=64, stop_at=None):
    offset = ota.begin(offer(data))["offset"]
    while offset < len(data) and (stop_at is None or offset < stop_at):
        offset = ota.block({"offset": offset, "hex": binascii.hexlify(data[offset:offset + block]).decode()})["offset"]
    return offset


def staged(root, data, defects=(), events=None):
    """A client that has downloaded `data` and checked it (held, or refused)."""
    ota = client(root, defects, events)
    download(ota, data)
    ota.end({})
    return ota


def body_hash(data):
    n = int.from_bytes(data[62:66], "little")  # header of 60 octets, then tag (2) and length (4)
    return hashlib.sha256(data[66:66 + n]).digest()


def test_download_check_and_hold():
    root = tmpdir()
    try:
        events = []
        ota = client(root, events=events)
        data = image("good")
        assert download(ota, data) == len(data)
        receipt = ota.end({})
        assert receipt["ok"] and receipt["alert"] == 0x8F72
        assert receipt["hash"] == binascii.hexlify(body_hash(data)).decode().upper()
        assert ("ota.receipt", receipt) in events
        held = ota.status({})["held"]
        assert held["version"] == "0.2.0" and held["file_version"] == 0x200
        assert ota.version() == "0.1.0"  # held, not running: nothing activates without CS06
    finally:
        rmtree(root)


def _refused(data, reason, defects=()):
    root = tmpdir()
    try:
        ota = client(root, defects)
        download(ota, data)
        receipt = ota.end({})
        assert not receipt["ok"] and receipt["alert"] == 0x8F1C and receipt["reason"] == reason, receipt
        assert ota.status({})["held"] is None and ota.status({})["download"] is None
        assert ota.activate(body_hash(data)) == (1, 0x100)  # nothing staged: CS06 finds no image
        return receipt
    finally:
        rmtree(root)


def test_tampered_foreign_and_out_of_range_images_are_refused():
    flipped = bytearray(image("good"))
    flipped[500] ^= 0x01
    _refused(bytes(flipped), "signature")
    _refused(image("foreign"), "signature")
    _refused(image("old_hw"), "hardware")


def test_skip_image_signature_defect_holds_a_tampered_image():
    root = tmpdir()
    try:
        ota = client(root, ("skip_image_signature",))
        flipped = bytearray(image("good"))
        flipped[500] ^= 0x01
        download(ota, bytes(flipped))
        assert ota.end({})["ok"]
    finally:
        rmtree(root)


def test_an_offer_for_another_model_is_not_downloaded():
    root = tmpdir()
    try:
        ota = client(root)
        bad = offer(image("good"))
        bad["image_type"] = 0x0002
        try:
            ota.begin(bad)
        except Exception as e:  # MethodError
            assert e.code == "not_for_us"
        else:
            raise AssertionError("began downloading another model's image")
        lie = offer(image("good"))
        lie["file_version"] = 0x999
        ota.begin(lie)
        data = image("good")
        offset = 0
        while offset < len(data):
            chunk = binascii.hexlify(data[offset:offset + 200]).decode()
            offset = ota.block({"offset": offset, "hex": chunk})["offset"]
        assert ota.end({})["reason"] == "mismatch"
    finally:
        rmtree(root)


def test_cs06_activation_now():
    root = tmpdir()
    try:
        events = []
        ota = client(root, events=events)
        data = image("good")
        assert ota.activate(body_hash(data)) == (1, 0x100)  # no image held
        download(ota, data)
        ota.end({})
        assert ota.activate(b"\x00" * 32) == (2, 0x100)  # hash mismatch: version unchanged
        assert ota.version() == "0.1.0"
        assert ota.activate(body_hash(data)) == (0, 0x200)
        assert ota.version() == "0.2.0" and ("ota.activated", {"version": "0.2.0", "file_version": 0x200}) in events
        again = client(root)  # power cycle: the activated image still runs
        assert again.version() == "0.2.0" and again.status({})["held"] is None
    finally:
        rmtree(root)


def test_skip_cs06_hash_defect_activates_on_any_hash():
    root = tmpdir()
    try:
        ota = staged(root, image("good"), ("skip_cs06_hash",))
        assert ota.activate(b"\x00" * 32) == (0, 0x200)
    finally:
        rmtree(root)


def test_upgrade_end_never_activates_unless_defective():
    now, later = 0, 0xFFFFFFFF
    for defects, upgrade_time, version in (((), now, "0.1.0"), (("activate_on_upgrade_end",), later, "0.1.0"),
                                           (("activate_on_upgrade_end",), now, "0.2.0")):
        root = tmpdir()
        try:
            ota = staged(root, image("good"), defects)
            ota.upgrade_end({"current_time": 0, "upgrade_time": upgrade_time})
            assert ota.version() == version, defects
        finally:
            rmtree(root)


def test_future_dated_activation_runs_at_its_time_and_can_be_cancelled_or_voided():
    data = image("good")
    for case in ("runs", "redated", "cos", "cos_defect"):
        root = tmpdir()
        try:
            events = []
            ota = staged(root, data, ("future_dated_survives_cos",) if case == "cos_defect" else (), events)
            at = START_MS + 3600000
            assert ota.activate(body_hash(data), at, 1000) == ("stored", None)
            if case == "redated":
                assert ota.activate(body_hash(data), 253402214400000, 1001) == ("stored", None)
            elif case.startswith("cos"):
                ota.change_of_supplier()
            ota.hal.clock.advance(1000)
            assert ota.on_time(ota.hal.clock.now_ms()) is None
            ota = client(root, ota.defects, events)  # a power cycle keeps the pending activation on flash
            ota.hal.clock.set(at)
            result = ota.on_time(at)
            if case in ("runs", "cos_defect"):
                assert result[0] == 0 and ota.version() == "0.2.0", case
                assert ("ota.executed", {"outcome": 0, "at": at, "counter": 1000, "alert": 0x8F66}) in events
            else:
                assert result is None and ota.version() == "0.1.0", case
        finally:
            rmtree(root)


def test_power_loss_mid_download_resumes_and_keeps_the_running_image():
    root = tmpdir()
    try:
        data = image("good")
        ota = staged(root, data)
        ota.activate(body_hash(data))
        v3 = image("v3")
        stopped = download(ota, v3, stop_at=1024)
        again = client(root)  # power returns: same download, same slot, running image untouched
        assert again.version() == "0.2.0"
        assert again.begin(offer(v3))["offset"] == stopped
        assert again.block({"offset": 0, "hex": "00"})["offset"] == stopped  # an out-of-place block is not written
        download(again, v3)
        assert again.end({})["ok"] and again.activate(body_hash(v3))[0] == 0 and again.version() == "0.3.0"
    finally:
        rmtree(root)


class DyingFlash(Flash):
    """Flash whose power fails during the `fail_at`-th save: the temporary file is written, the rename never happens."""

    def __init__(self, root, fail_at):
        Flash.__init__(self, root)
        self.fail_at = fail_at

    def save(self, name, value):
        self.fail_at -= 1
        if self.fail_at == 0:
            f = open(self._path(name) + ".tmp", "w")
            f.write('{"torn"')
            f.close()
            raise OSError("power lost")
        Flash.save(self, name, value)


def test_power_loss_mid_activation_leaves_a_valid_running_image():
    data = image("good")
    root = tmpdir()
    try:
        ota = staged(root, data)
        ota.hal.flash = DyingFlash(root, 1)
        ota.store.flash = ota.hal.flash
        try:
            ota.activate(body_hash(data))
        except OSError:
            pass
        else:
            raise AssertionError("power did not fail")
        again = client(root)
        assert again.version() == "0.1.0" and again.status({})["held"]["version"] == "0.2.0"
        assert again.activate(body_hash(data)) == (0, 0x200) and client(root).version() == "0.2.0"
    finally:
        rmtree(root)


def test_a_running_image_whose_slot_is_gone_falls_back_to_the_wired_firmware():
    root = tmpdir()
    try:
        data = image("good")
        ota = staged(root, data)
        ota.activate(body_hash(data))
        f = open(ota.store.slot_path(ota.store.running()["slot"]), "wb")
        f.write(b"x")
        f.close()
        assert client(root).version() == "0.1.0"
    finally:
        rmtree(root)


def test_the_hello_reports_the_activated_image_and_reset_returns_to_the_wired_firmware():
    from test_fw_roles import call, make_app

    data = image("good")
    root = tmpdir()
    try:
        app, _ = make_app(root, {"role": "esme", "board_id": "e", "eui64": "00DB1234567890A0", "ota": CONFIG})
        call(app, "time.set", {"utc_ms": START_MS})
        offset = call(app, "ota.begin", offer(data))[1]["offset"]
        assert offset == 0
        call(app, "ota.block", {"offset": 0, "hex": binascii.hexlify(data).decode()}, seq=3)
        assert call(app, "ota.end", seq=4)[1]["ok"]
        assert call(app, "hello", seq=5)[1]["fw"] == "0.1.0"
        assert app.ota_client().activate(body_hash(data)) == (0, 0x200)  # what the role's CS06 handler calls
        hello = call(app, "hello", seq=6)[1]
        assert hello["fw"] == "0.2.0" and hello["base_fw"] == "0.1.0"
        app.boot("power_cycle")
        assert call(app, "hello", seq=7)[1]["fw"] == "0.2.0"
        call(app, "reset", seq=8)
        assert call(app, "hello", seq=9)[1]["fw"] == "0.1.0" and "base_fw" not in call(app, "hello", seq=10)[1]
    finally:
        rmtree(root)


def test_power_cut_one_second_into_a_future_dated_activation():
    """A dual-slot device has switched images at once (one atomic write); the `overwrite_on_activation` defect is
    still copying over its only bank at 1 kB/s, so a cut then leaves a torn image marked broken, not the old one."""
    data = image("good")
    at = START_MS + 3600000
    for defects in ((), ("overwrite_on_activation",)):
        root = tmpdir()
        try:
            events = []
            ota = staged(root, data, defects, events)
            assert ota.activate(body_hash(data), at, 1000) == ("stored", None)
            ota.hal.clock.set(at)
            ran = ota.on_time(at)
            ota.hal.clock.set(at + 1000)
            assert ota.on_time(at + 1000) is None
            cut = client(root, defects)  # power returns
            if not defects:
                assert ran[0] == 0 and cut.version() == "0.2.0" and not cut.store.running().get("broken")
                continue
            assert ran is None and not [e for e in events if e[0] == "ota.executed"]
            assert cut.store.running().get("broken") and cut.store.running()["slot"] == 1
            # without a cut, the copy ends after the image's length at 1 kB/s, and only then reports 0x8F66
            ota.hal.clock.set(at + 2000)
            assert ota.on_time(at + 2000) is None
            done = at + (len(data) * 1000 + 1023) // 1024
            assert ota.on_time(done)[0] == 0 and ("ota.executed", {"outcome": 0, "at": at, "counter": 1000,
                                                                    "alert": 0x8F66}) in events
            assert not client(root, defects).store.running().get("broken")
        finally:
            rmtree(root)


def test_a_board_running_a_broken_image_answers_no_command():
    from test_fw_roles import call, make_app

    data = image("good")
    root = tmpdir()
    try:
        config = {"role": "esme", "board_id": "e", "eui64": "00DB1234567890A0", "ota": CONFIG,
                  "defects": ["overwrite_on_activation"]}
        app, _ = make_app(root, config)
        call(app, "time.set", {"utc_ms": START_MS})
        call(app, "ota.begin", offer(data), seq=2)
        call(app, "ota.block", {"offset": 0, "hex": binascii.hexlify(data).decode()}, seq=3)
        assert call(app, "ota.end", seq=4)[1]["ok"]
        app.ota_client().activate(body_hash(data))  # the copy starts; power goes before it ends
        app.boot("power_cycle")
        assert app.broken()
        answer = call(app, "gbcs.command", {"hex": "00"}, seq=5)[1]
        assert answer["response"] is None and answer["rejected"] == "no_valid_image"
        call(app, "time.set", {"utc_ms": START_MS + 60000}, seq=6)  # nothing resumes: no image runs
        assert app.broken()
        call(app, "reset", seq=7)  # the bench's reset to the wired firmware: commands are checked again
        assert call(app, "gbcs.command", {"hex": "00"}, seq=8)[1].get("rejected") != "no_valid_image"
    finally:
        rmtree(root)
