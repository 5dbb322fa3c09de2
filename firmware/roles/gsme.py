# Gas Smart Metering Equipment role: supply valve, display, keypad, prepayment credit and UTRN top-up.
from firmware.roles.prepay import PrepayMeter


class Gsme(PrepayMeter):
    name = "gsme"
    switch = "valve"


ROLE = Gsme
