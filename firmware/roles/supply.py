# Shared behaviour of the metering roles with a supply output (ESME relay, GSME valve).
from firmware.link import param
from firmware.roles.base import Role


class SupplyRole(Role):
    """A meter whose supply switch state persists across power cycles; `switch` names the output."""

    has_display = True
    switch = "relay"

    def defaults(self):
        return {"supply_on": True}

    def setup(self):
        self.hal.add_switch(self.switch, self.state["supply_on"])

    def methods(self):
        return {self.switch + ".get": self._get, self.switch + ".set": self._set}

    def idle_text(self):
        return "%s SUPPLY %s" % (self.name.upper(), "ON" if self.state["supply_on"] else "OFF")

    def _get(self, params):
        return {"on": self.hal.switch.on}

    def _set(self, params):
        on = param(params, "on", bool)
        self.state["supply_on"] = on
        self.save()
        self.hal.switch.set(on)
        self.refresh_display()
        return {"on": on}
