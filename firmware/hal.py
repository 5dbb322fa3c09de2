# Hardware abstraction for the board firmware: clock, flash storage, supply switch, display, keypad.
# Every output change is reported through `emit(name, data)` (the board link's event output).
# Runs under MicroPython and CPython.
import json
import os
import time

try:
    _ticks_ms = time.ticks_ms
    _ticks_diff = time.ticks_diff
except AttributeError:  # CPython

    def _ticks_ms():
        return int(time.monotonic() * 1000)

    def _ticks_diff(a, b):
        return a - b


class Clock:
    """Virtual UTC time in integer milliseconds, set and advanced by the harness over the link.

    With `free_run` the clock also moves with the board's tick counter between updates (benches with real
    time); otherwise it only moves when told (virtual time). It never reads the host's wall clock.
    """

    def __init__(self, free_run=False):
        self.free_run = free_run
        self._base_ms = 0
        self._base_ticks = _ticks_ms()
        self.is_set = False

    def now_ms(self):
        if self.free_run:
            return self._base_ms + _ticks_diff(_ticks_ms(), self._base_ticks)
        return self._base_ms

    def set(self, utc_ms):
        self._base_ms = utc_ms
        self._base_ticks = _ticks_ms()
        self.is_set = True

    def advance(self, ms):
        if ms < 0:
            raise ValueError("time cannot go backwards")
        self.set(self.now_ms() + ms)


class Flash:
    """Small JSON documents in `<root>/data`, each written atomically (temporary file, then rename)."""

    def __init__(self, root):
        self.dir = root.rstrip("/") + "/data"
        try:
            os.mkdir(self.dir)
        except OSError:
            pass  # already there

    def _path(self, name):
        if not name or len(name) > 40:
            raise ValueError("bad flash name %r" % (name,))
        for ch in name:
            if not (ch.isalpha() or ch.isdigit() or ch in "_-."):
                raise ValueError("bad flash name %r" % (name,))
        return self.dir + "/" + name + ".json"

    def load(self, name, default=None):
        """The stored value, or `default` when absent or unreadable (a torn or corrupt file)."""
        try:
            with open(self._path(name)) as f:
                return json.loads(f.read())
        except (OSError, ValueError):
            return default

    def save(self, name, value):
        path = self._path(name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps(value, separators=(",", ":")))
        try:
            os.rename(tmp, path)
        except OSError:  # FAT cannot rename over an existing file
            os.remove(path)
            os.rename(tmp, path)

    def remove(self, name):
        try:
            os.remove(self._path(name))
        except OSError:
            pass  # already absent

    def names(self):
        return [n[:-5] for n in os.listdir(self.dir) if n.endswith(".json")]

    def wipe(self):
        for name in os.listdir(self.dir):
            os.remove(self.dir + "/" + name)


class Switch:
    """A supply output (ESME relay, GSME valve); `on` means supply flows. Changes are emitted as events."""

    def __init__(self, name, emit, on=True, pin=None):
        self.name = name
        self._emit = emit
        self._pin = pin
        self.on = on
        self._drive()

    def set(self, on):
        if on == self.on:
            return
        self.on = on
        self._drive()
        self._emit(self.name, {"on": on})

    def _drive(self):
        if self._pin is not None:
            self._pin.value(1 if self.on else 0)


class Display:
    """The device's text display; every change is emitted as a `display` event."""

    def __init__(self, emit):
        self._emit = emit
        self.text = ""

    def show(self, text):
        if text == self.text:
            return
        self.text = text
        self._emit("display", {"text": text})


KEYS = "0123456789*#ABCDE"


class Keypad:
    """Key input: presses injected over the link, or read from GPIO buttons (`pins`: key -> machine.Pin)."""

    def __init__(self, emit, on_key, pins=None):
        self._emit = emit
        self.on_key = on_key
        self._pins = pins or {}
        self._down = {}
        for key in self._pins:
            self._down[key] = False

    def press(self, keys):
        for key in keys:
            if key not in KEYS:
                raise ValueError("unknown key %r" % (key,))
        for key in keys:
            self._emit("key", {"key": key})
            self.on_key(key)

    def scan(self):
        """Poll GPIO buttons (active low); a press is reported on the falling edge."""
        for key in self._pins:
            down = self._pins[key].value() == 0
            if down and not self._down[key]:
                self.press(key)
            self._down[key] = down


def input_pins(numbers):
    """machine.Pin inputs with pull-ups for a {key: pin number} map, or {} without machine.Pin."""
    try:
        from machine import Pin
    except ImportError:
        return {}
    pins = {}
    for key in numbers:
        pins[key] = Pin(numbers[key], Pin.IN, Pin.PULL_UP)
    return pins


def output_pin(number):
    """A machine.Pin output, or None without machine.Pin (simulated board) or without a pin number."""
    if number is None:
        return None
    try:
        from machine import Pin
    except ImportError:
        return None
    return Pin(number, Pin.OUT)


class Hal:
    """The board's hardware as the firmware sees it. `config` may hold `clock_free_run`, `keypad_pins`,
    `switch_pin`."""

    def __init__(self, emit, flash_root, config):
        self.emit = emit
        self.config = config
        self.clock = Clock(config.get("clock_free_run", False))
        self.flash = Flash(flash_root)
        self.display = Display(emit)
        self.keypad = Keypad(emit, self._no_key, input_pins(config.get("keypad_pins", {})))
        self.switch = None
        self.power_on_ms = None
        self.boot_reason = "power_on"  # set by the app: "power_on" / "power_cycle" (power was lost) or "reboot"

    def _no_key(self, key):
        pass  # until a role takes the keypad

    def add_switch(self, name, on):
        """Create the role's supply output (one per board), driving `switch_pin` when configured."""
        self.switch = Switch(name, self.emit, on, output_pin(self.config.get("switch_pin")))
        return self.switch

    def mark_power_on(self):
        """Record power-on time once the clock is known."""
        if self.power_on_ms is None and self.clock.is_set:
            self.power_on_ms = self.clock.now_ms()

    def log(self, text):
        self.emit("log", {"text": text})
