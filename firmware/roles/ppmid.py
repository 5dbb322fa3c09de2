# Prepayment Meter Interface Device role: identity, state, reset and power cycle.
from firmware.roles.base import Role


class Ppmid(Role):
    name = "ppmid"
    has_display = True


ROLE = Ppmid
