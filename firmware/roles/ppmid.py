# Prepayment Meter Interface Device role: display and keypad; GBCS over the HAN: joins with its meters
# (CS03A2 with the ESME, CS03C with the GSME) and unjoins.
from firmware.roles import device_gbcs
from firmware.roles.device_gbcs import DeviceGbcs


class Ppmid(DeviceGbcs):
    name = "ppmid"
    has_display = True

    def join_codes(self):
        return (device_gbcs.CS03A2, device_gbcs.CS03C)


ROLE = Ppmid
