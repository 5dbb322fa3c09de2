# HAL of the board firmware (firmware/hal.py) under CPython and MicroPython.
import binascii
import os

from firmware.hal import Clock, Display, Flash, Hal, Keypad, Switch


def tmpdir():
    path = "/tmp/fw_hal_" + binascii.hexlify(os.urandom(6)).decode()
    os.mkdir(path)
    return path


def rmtree(path):
    for name in os.listdir(path):
        sub = path + "/" + name
        if os.stat(sub)[0] & 0x4000:
            rmtree(sub)
        else:
            os.remove(sub)
    os.rmdir(path)


def recorder():
    events = []

    def emit(name, data):
        events.append((name, data))

    return events, emit


def test_clock_moves_only_when_told():
    clock = Clock()
    assert not clock.is_set and clock.now_ms() == 0
    clock.set(1767225600000)
    assert clock.now_ms() == 1767225600000 and clock.is_set
    clock.advance(86400000)
    assert clock.now_ms() == 1767312000000
    try:
        clock.advance(-1)
    except ValueError:
        return
    raise AssertionError("clock went backwards")


def test_free_running_clock_never_goes_below_its_setting():
    clock = Clock(free_run=True)
    clock.set(5000)
    assert clock.now_ms() >= 5000


def test_flash_round_trip_atomic_and_corrupt_files():
    root = tmpdir()
    try:
        flash = Flash(root)
        assert flash.load("role_esme", {"d": 1}) == {"d": 1}
        flash.save("role_esme", {"supply_on": False, "n": [1, 2]})
        flash.save("role_esme", {"supply_on": True})
        assert Flash(root).load("role_esme") == {"supply_on": True}
        assert sorted(os.listdir(root + "/data")) == ["role_esme.json"]
        with open(root + "/data/torn.json", "w") as f:
            f.write('{"supply_on": tr')
        assert flash.load("torn", "default") == "default"
        assert sorted(flash.names()) == ["role_esme", "torn"]
        flash.remove("torn")
        flash.remove("torn")
        assert flash.names() == ["role_esme"]
        for bad in ("", "../etc", "a/b", "x" * 41):
            try:
                flash.save(bad, 1)
            except ValueError:
                continue
            raise AssertionError("accepted flash name %r" % bad)
        flash.wipe()
        assert flash.names() == []
    finally:
        rmtree(root)


def test_switch_emits_only_changes():
    events, emit = recorder()
    relay = Switch("relay", emit, True)
    relay.set(True)
    relay.set(False)
    relay.set(False)
    relay.set(True)
    assert events == [("relay", {"on": False}), ("relay", {"on": True})]


class FakePin:
    def __init__(self, level=1):
        self.level = level

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = v


def test_switch_drives_its_pin():
    pin = FakePin(0)
    valve = Switch("valve", lambda n, d: None, True, pin)
    assert pin.level == 1
    valve.set(False)
    assert pin.level == 0


def test_display_emits_changes():
    events, emit = recorder()
    display = Display(emit)
    display.show("CREDIT 10.00")
    display.show("CREDIT 10.00")
    assert display.text == "CREDIT 10.00"
    assert events == [("display", {"text": "CREDIT 10.00"})]


def test_keypad_injected_and_gpio():
    events, emit = recorder()
    keys = []
    pins = {"1": FakePin(), "#": FakePin()}
    keypad = Keypad(emit, keys.append, pins)
    keypad.press("12#")
    try:
        keypad.press("1x")
    except ValueError:
        pass
    else:
        raise AssertionError("accepted an unknown key")
    assert keys == ["1", "2", "#"]
    pins["#"].level = 0
    keypad.scan()
    keypad.scan()
    pins["#"].level = 1
    keypad.scan()
    pins["#"].level = 0
    keypad.scan()
    assert keys == ["1", "2", "#", "#", "#"]
    assert events[0] == ("key", {"key": "1"}) and len(events) == 5


def test_hal_power_on_time_waits_for_the_clock():
    root = tmpdir()
    try:
        events, emit = recorder()
        hal = Hal(emit, root, {})
        hal.mark_power_on()
        assert hal.power_on_ms is None
        hal.clock.set(1000)
        hal.mark_power_on()
        hal.clock.advance(500)
        hal.mark_power_on()
        assert hal.power_on_ms == 1000
        switch = hal.add_switch("relay", False)
        switch.set(True)
        hal.log("hello")
        assert events == [("relay", {"on": True}), ("log", {"text": "hello"})]
    finally:
        rmtree(root)
