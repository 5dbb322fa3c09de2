# Gas Smart Metering Equipment role: supply valve, display, keypad.
from firmware.roles.supply import SupplyRole


class Gsme(SupplyRole):
    name = "gsme"
    switch = "valve"


ROLE = Gsme
