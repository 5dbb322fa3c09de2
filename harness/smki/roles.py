"""Remote-party roles (Subject OU codes) and the default bench identities (the RTDS EUIs)."""
from __future__ import annotations

import enum

from harness.errors import InputError


class Role(enum.IntEnum):
    """Remote-party role as carried in an organisation certificate's Subject OU (two hex digits)."""

    ROOT = 0x00
    RECOVERY = 0x01
    SUPPLIER = 0x02
    NETWORK_OPERATOR = 0x03
    ACB = 0x04
    TRANSITIONAL_COS = 0x05
    WAN_PROVIDER = 0x06
    ISSUING_AUTHORITY = 0x07
    LOAD_CONTROLLER = 0x08
    OTHER_USER = 0x7F

    @property
    def ou(self) -> str:
        """The Subject OU text, e.g. ``"02"``."""
        return f"{self.value:02X}"


# name -> (role, EUI, has a KA key, has a prepayment KA key)
DEFAULT_PARTIES: dict[str, tuple[Role, str, bool, bool]] = {
    "recovery": (Role.RECOVERY, "90B3D51F30000001", True, False),
    "acb": (Role.ACB, "90B3D51F30000002", True, False),
    "transitional_cos": (Role.TRANSITIONAL_COS, "90B3D51F30000004", True, False),
    "wan_provider": (Role.WAN_PROVIDER, "90B3D51F30000007", True, False),
    "supplier": (Role.SUPPLIER, "90B3D51F30010000", True, True),
    "load_controller": (Role.LOAD_CONTROLLER, "90B3D51F30010008", True, False),
    "network_operator": (Role.NETWORK_OPERATOR, "90B3D51F30020000", True, False),
    "supplier2": (Role.SUPPLIER, "90B3D51F30030000", True, True),
}

# device role -> default EUI (RTDS usage: A0 ESME, A1 GSME, A2 CHF, A3 GPF, A4 PPMID, A5 HCALCS)
DEFAULT_DEVICES: dict[str, str] = {
    "esme": "00DB1234567890A0",
    "gsme": "00DB1234567890A1",
    "chf": "00DB1234567890A2",
    "gpf": "00DB1234567890A3",
    "ppmid": "00DB1234567890A4",
    "hcalcs": "00DB1234567890A5",
}


def parse_eui(text: str, field: str = "eui") -> bytes:
    """An EUI-64 from 16 hex digits (separators ``-`` and ``:`` allowed); InputError otherwise."""
    cleaned = text.replace("-", "").replace(":", "").strip()
    if len(cleaned) != 16:
        raise InputError(f"expected 16 hex digits, got {text!r}", field=field)
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise InputError(f"not hexadecimal: {text!r}", field=field) from None
