# The board firmware's main loop: configuration, HAL, role and the board link's core methods.
import gc
import json

from firmware import linkproto, roles
from firmware import fwrunning
from firmware.hal import Hal
from firmware.link import Link, MethodError, StdioPort, param
from firmware.version import FIRMWARE_VERSION

POLL_MS = 50
OTA_METHODS = ("ota.status", "ota.begin", "ota.block", "ota.end", "ota.upgrade_end")
NO_VALID_IMAGE = {"response": None, "rejected": "no_valid_image"}


def load_config(path):
    """(config, problem): the board's /config.json, with `problem` naming what is wrong or None."""
    try:
        with open(path) as f:
            config = json.loads(f.read())
    except OSError:
        return {}, "no config file %s" % path
    except ValueError:
        return {}, "config file %s is not JSON" % path
    if not isinstance(config, dict):
        return {}, "config file %s is not a JSON object" % path
    role = config.get("role")
    if role not in roles.ROLES:
        return config, "config field 'role' is %r, expected one of %s" % (role, ", ".join(roles.ROLES))
    return config, None


class App:
    """Board state rebuilt at each (simulated) power-on; the clock survives power cycles like an RTC."""

    def __init__(self, port, config, flash_root, problem=None):
        self.link = Link(port)
        self.config = config
        self.flash_root = flash_root
        self.problem = problem
        self.hal = None
        self.role = None
        self.boots = 0
        self._power_cycle_due = False
        self._reboot_due = False
        self.boot("power_on")

    def boot(self, reason):
        """Power on ("power_on", "power_cycle": after a loss of power) or a software reboot ("reboot"): fresh HAL
        and role from flash, link methods registered, a `boot` event sent. The role reads the reason as its reset
        cause (`hal.boot_reason`)."""
        clock = self.hal.clock if self.hal else None
        self.hal = Hal(self.link.emit, self.flash_root, self.config)
        self.hal.boot_reason = reason
        if clock is not None:
            self.hal.clock = clock
        self.hal.mark_power_on()
        # The firmware store's record says which image runs (its version in the hello); the store and the OTA client
        # that downloads and activates images load on first use (`hal.ota_client()`): heap is scarce on a board.
        self.fw_meta = fwrunning.load(self.hal.flash, self.flash_root)
        self._ota = None
        self.hal.ota_client = self.ota_client
        # the running image's behaviour: a (deliberately faulty) release plays the defects its manifest names
        running_defects = self.running_image().get("defects")
        if running_defects:
            self.hal.config = dict(self.config, defects=list(self.config.get("defects") or ()) + running_defects)
        record = self.hal.flash.load("boot", {})
        self.boots = (record.get("count", 0) if isinstance(record, dict) else 0) + 1
        self.hal.flash.save("boot", {"count": self.boots})
        self.role = None
        info = self.hello({})
        info["reason"] = reason
        self.link.emit("boot", info)
        self.link.handlers = {}
        self.link.register(self.core_methods())
        if self.problem is None:
            self.role = roles.load(self.config["role"], self.hal)
            self.link.register(self.role.methods())
            self.link.register(dict((name, self._ota_method(name)) for name in OTA_METHODS))
        command = self.link.handlers.get("gbcs.command")
        if command is not None:  # a torn image runs nothing: the device answers no command (until a reset)
            self.link.register({"gbcs.command": lambda params: NO_VALID_IMAGE if self.broken() else command(params)})
        if self.broken():
            self.hal.log("the running image is broken: no valid image to run")

    def core_methods(self):
        return {
            "hello": self.hello,
            "ping": self.ping,
            "state.get": self.state_get,
            "time.get": self.time_get,
            "time.set": self.time_set,
            "time.advance": self.time_advance,
            "reset": self.reset,
            "power_cycle": self.power_cycle,
            "reboot": self.reboot,
            "display.get": self.display_get,
            "keypad.press": self.keypad_press,
            "log": self.log,
            "link.stats": self.link_stats,
        }

    def hello(self, params):
        out = {
            "proto": linkproto.PROTOCOL_VERSION,
            "role": self.config["role"] if self.problem is None else None,
            "fw": self.running_image()["version"],
            "board_id": self.config.get("board_id"),
            "eui64": self.config.get("eui64"),
            "boots": self.boots,
            "state": "ready" if self.problem is None else "unconfigured: " + self.problem,
        }
        if out["fw"] != FIRMWARE_VERSION:
            out["base_fw"] = FIRMWARE_VERSION  # an OTA-activated image runs over the wired firmware
        return out

    def broken(self):
        """Whether the running image is torn with no valid fallback (see fwrunning.load)."""
        return bool(self.running_image().get("broken"))

    def running_image(self):
        return fwrunning.running(self.fw_meta, self.wired_version())

    def wired_version(self):
        """The version the wired firmware reports: the bench's `fw_version` for this emulated device (an emulated
        DUT playing a given release), else the firmware's own."""
        version = self.config.get("fw_version")
        return version if isinstance(version, str) and version else FIRMWARE_VERSION

    def ota_client(self):
        """The board's OTA client on its firmware store (loaded on first use; they share one metadata record)."""
        if self._ota is None:
            from firmware.fwstore import FirmwareStore
            from firmware.ota_client import OtaClient

            store = FirmwareStore(self.hal.flash, self.flash_root, FIRMWARE_VERSION, self.fw_meta)
            self._ota = OtaClient(self.hal, self.config.get("ota"), store, self.config.get("defects") or ())
            self._ota.on_activated = self.reboot  # the board restarts into the image it activated
        return self._ota

    def _ota_method(self, name):
        return lambda params: self.ota_client().methods()[name](params)

    def ping(self, params):
        return {"data": param(params, "data", str, "", required=False)}

    def state_get(self, params):
        out = {
            "role": self.role.snapshot() if self.role else None,
            "time": self.time_get({}),
            "display": self.hal.display.text,
            "boots": self.boots,
        }
        if self.hal.switch is not None:
            out[self.hal.switch.name] = {"on": self.hal.switch.on}
        return out

    def time_get(self, params):
        return {"utc_ms": self.hal.clock.now_ms(), "set": self.hal.clock.is_set,
                "power_on_ms": self.hal.power_on_ms}

    def _clock_moved(self):
        self.hal.mark_power_on()
        if self.role is not None and not self.broken():
            self.role.on_time(self.hal.clock.now_ms())
            if self.fw_meta["pending"] is not None or self.fw_meta["installing"] is not None:
                self.ota_client().on_time(self.hal.clock.now_ms())
        return self.time_get({})

    def time_set(self, params):
        utc_ms = param(params, "utc_ms", int)
        if utc_ms < 0:
            raise MethodError("bad_params", "parameter 'utc_ms' is negative")
        self.hal.clock.set(utc_ms)
        return self._clock_moved()

    def time_advance(self, params):
        ms = param(params, "ms", int)
        if ms < 0:
            raise MethodError("bad_params", "parameter 'ms' is negative: time cannot go backwards")
        if not self.hal.clock.is_set:
            raise MethodError("clock_unset", "time.advance before time.set")
        self.hal.clock.advance(ms)
        return self._clock_moved()

    def _need_role(self):
        if self.role is None:
            raise MethodError("unconfigured", self.problem)
        return self.role

    def reset(self, params):
        self._need_role().reset()
        if any(self.fw_meta[key] is not None for key in fwrunning.KEYS):
            self.ota_client().store.reset()
        return self.state_get({})

    def power_cycle(self, params):
        self._power_cycle_due = True
        return {"boots": self.boots + 1}

    def reboot(self, params=None):
        """A software reboot (not a loss of power), once the current call is answered."""
        self._reboot_due = True
        return {"boots": self.boots + 1}

    def display_get(self, params):
        return {"text": self.hal.display.text}

    def keypad_press(self, params):
        self._need_role()
        keys = param(params, "keys", str)
        try:
            self.hal.keypad.press(keys)
        except ValueError as e:
            raise MethodError("bad_params", "parameter 'keys': %s" % e)
        return {"display": self.hal.display.text}

    def log(self, params):
        self.hal.log(param(params, "text", str))
        return {}

    def link_stats(self, params):
        return dict(self.link.stats)

    def step(self, timeout_ms=POLL_MS):
        """One turn of the main loop; raises EOFError when the console has closed."""
        self.link.poll(timeout_ms)
        if self._power_cycle_due:
            self._power_cycle_due = False
            self.boot("power_cycle")
        elif self._reboot_due:
            self._reboot_due = False
            self.boot("reboot")
        self.hal.keypad.scan()

    def run(self):
        last = None
        while True:
            try:
                self.step()
            except EOFError:
                return
            except Exception as e:  # keep the board alive; the host sees the fault as a log event (once per kind)
                gc.collect()
                text = "main loop: %s: %s" % (type(e).__name__, e)
                if text != last:
                    self.hal.log(text)
                last = text


def main(config_path="/config.json", flash_root=""):
    """Entry point of the deployed /main.py."""
    config, problem = load_config(config_path)
    App(StdioPort(), config, flash_root, problem).run()
