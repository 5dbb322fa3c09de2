# Electricity Smart Metering Equipment role: supply relay, display, keypad, prepayment credit and UTRN top-up.
from firmware.roles.prepay import PrepayMeter


class Esme(PrepayMeter):
    name = "esme"
    switch = "relay"


ROLE = Esme
