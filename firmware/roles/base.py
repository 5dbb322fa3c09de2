# Base class of the device roles. A role owns its state (persisted on flash under "role_<name>"),
# its outputs on the HAL and its own link methods; later work adds handlers per role through `methods()`.


class Role:
    """One device role on a board. Subclasses set `name`, `has_display`, and override the hooks."""

    name = "none"
    has_display = False

    def __init__(self, hal):
        self.hal = hal
        self.entry = ""
        self.state = self.defaults()
        stored = hal.flash.load(self._flash_name(), {})
        if isinstance(stored, dict):
            for key in stored:
                if key in self.state:
                    self.state[key] = stored[key]
        hal.keypad.on_key = self.on_key
        self.setup()
        self.refresh_display()

    def _flash_name(self):
        return "role_" + self.name

    def defaults(self):
        """The role's persistent state after a reset (a fresh dict)."""
        return {}

    def setup(self):
        """Create outputs from `self.state` (called at power-on and after reset)."""

    def methods(self):
        """Role-specific link methods: {name: fn(params) -> dict}."""
        return {}

    def save(self):
        self.hal.flash.save(self._flash_name(), self.state)

    def snapshot(self):
        """What `state.get` reports for the role."""
        out = {"role": self.name, "state": self.state}
        if self.has_display:
            out["entry"] = self.entry
        return out

    def idle_text(self):
        return self.name.upper()

    def refresh_display(self):
        if self.has_display:
            self.hal.display.show(("> " + self.entry) if self.entry else self.idle_text())

    def reset(self):
        """Back to the role's initial state: RAM state and the role's flash data are cleared."""
        self.hal.flash.remove(self._flash_name())
        self.entry = ""
        self.state = self.defaults()
        self.setup()
        self.refresh_display()

    def on_key(self, key):
        """Keypad entry: digits collect on the display; "*" clears the entry."""
        if not self.has_display:
            return
        if key == "*":
            self.entry = ""
        elif len(self.entry) < 40:
            self.entry += key
        self.refresh_display()

    def on_time(self, now_ms):
        """Called after the clock moves (set or advanced by the harness)."""
