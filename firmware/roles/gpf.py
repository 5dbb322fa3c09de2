# Gas Proxy Function role: identity, state, reset and power cycle.
from firmware.roles.base import Role


class Gpf(Role):
    name = "gpf"
    has_display = False


ROLE = Gpf
