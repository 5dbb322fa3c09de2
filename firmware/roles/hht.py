# Hand Held Terminal role: identity, state, reset and power cycle.
from firmware.roles.base import Role


class Hht(Role):
    name = "hht"
    has_display = True


ROLE = Hht
