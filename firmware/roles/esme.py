# Electricity Smart Metering Equipment role: supply relay, display, keypad.
from firmware.roles.supply import SupplyRole


class Esme(SupplyRole):
    name = "esme"
    switch = "relay"


ROLE = Esme
