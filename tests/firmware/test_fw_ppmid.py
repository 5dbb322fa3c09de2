# The PPMID board role (firmware/roles/ppmid.py): display, UTRN entry and EC selection producing the HAN messages,
# under CPython and MicroPython.
import binascii

from firmware import roles
from firmware.gbcs import gbz
from firmware.hal import Hal
from test_fw_hal import recorder, rmtree, tmpdir

UTRN = "73943333457189043313"  # gbcs.md 3.2 vector (check digit 3)
ESME, GSME = "00DB1234567890A0", "00DB1234567890A1"
T0 = 1767225600000  # 2026-01-01T00:00:00Z


def ppmid(root, paired=None):
    events, emit = recorder()
    hal = Hal(emit, root, {"ppmid": {"esme": ESME, "gsme": GSME} if paired is None else paired})
    hal.clock.set(T0)
    return roles.load("ppmid", hal), events


def sent(events):
    return [d for n, d in events if n == "han.send"]


def test_shows_credit_state_and_messages():
    root = tmpdir()
    try:
        p, _ = ppmid(root)
        assert p.hal.display.text == "ELEC NO DATA"
        p.methods()["ppmid.show"]({"meter": "esme", "credit": {"balance": 1234, "ec_available": True, "low": True}})
        assert p.hal.display.text == "ELEC CREDIT 12.34 EC AVAILABLE LOW"
        p.methods()["ppmid.message"]({"text": "CALL US"})
        assert p.hal.display.text.endswith(" MSG CALL US")
        p.hal.keypad.press("C")
        assert p.hal.display.text == "GAS NO DATA MSG CALL US"
        again, _ = ppmid(root)  # the last known state survives a power cycle
        assert again.hal.display.text == "GAS NO DATA MSG CALL US"
        p.methods()["ppmid.result"]({"meter": "gsme", "result": 0, "value": 500})
        assert p.hal.display.text == "GAS TOP UP ACCEPTED +5.00"
        p.methods()["ppmid.result"]({"meter": "esme", "result": 2})
        assert p.hal.display.text == "ELEC TOP UP DUPLICATE"
        for bad in ({"meter": "water", "credit": {"balance": 1}}, {"meter": "esme", "credit": {}}):
            try:
                p.methods()["ppmid.show"](bad)
            except Exception as e:
                assert getattr(e, "code", None) == "bad_params"
            else:
                raise AssertionError("accepted %r" % (bad,))
    finally:
        rmtree(root)


def test_utrn_to_the_esme_is_a_zse_consumer_top_up():
    root = tmpdir()
    try:
        p, events = ppmid(root)
        p.hal.keypad.press(UTRN[:19] + "4#")
        assert p.hal.display.text == "UTRN INVALID check_digit" and sent(events) == []
        p.hal.keypad.press("123#")
        assert p.hal.display.text == "UTRN INVALID malformed" and sent(events) == []
        p.hal.keypad.press(UTRN + "#")
        assert sent(events) == [{"to": ESME, "meter": "esme", "cluster": 0x0705, "command": 0x04,
                                 "payload": "0214" + binascii.hexlify(UTRN.encode()).decode()}]
        assert p.hal.display.text == "ELEC UTRN SENT"
    finally:
        rmtree(root)


def test_utrn_and_ec_to_the_gsme_are_pcs01_and_pcs02_gbz_via_the_gpf():
    root = tmpdir()
    try:
        p, events = ppmid(root)
        p.hal.keypad.press("C" + UTRN + "#")
        p.hal.keypad.press("A")
        top_up, ec = sent(events)
        assert (top_up["to"], top_up["via"], top_up["message_code"]) == (GSME, "gpf", 0x009B)
        comp = gbz.parse(binascii.unhexlify(top_up["gbz"])).components[0]
        assert (comp.cluster, comp.frame_control, comp.command, comp.payload) == (0x0705, 0x01, 0x04,
                                                                                  b"\x02\x14" + UTRN.encode())
        assert ec["message_code"] == 0x0090
        comp = gbz.parse(binascii.unhexlify(ec["gbz"])).components[0]
        # Select Available Emergency Credit: issue time (ZCL UTCTime, LE) | originating device
        assert comp.command == 0x00 and comp.payload == (820540800).to_bytes(4, "little") + b"\x02"
        assert p.hal.display.text == "GAS EC REQUESTED"
    finally:
        rmtree(root)


def test_no_paired_meter_sends_nothing():
    root = tmpdir()
    try:
        p, events = ppmid(root, paired={"esme": ESME})
        p.hal.keypad.press("CA")
        assert p.hal.display.text == "NO GAS METER" and sent(events) == []
    finally:
        rmtree(root)
