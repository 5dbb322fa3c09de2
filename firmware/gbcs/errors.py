"""Typed errors of the device-side GBCS code."""


class ParseError(ValueError):
    """Malformed GBCS bytes: ``field`` names the bad field, ``offset`` the byte offset."""

    def __init__(self, message, field=None, offset=None):
        self.field = field
        self.offset = offset
        where = field or ""
        if offset is not None:
            where = (where + " " if where else "") + "@%d" % offset
        super().__init__((where + ": " + message) if where else message)


class Rejected(Exception):
    """The device refuses a command; ``reason`` is one of the names in firmware.gbcs.device.REASONS."""

    def __init__(self, reason, detail=""):
        self.reason = reason
        self.detail = detail
        super().__init__(reason + (": " + detail if detail else ""))
