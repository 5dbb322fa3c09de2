"""GBCS message layer: framing (apdu), payloads (gbz, dlms, asn1), GBT, crypto, keys and verification."""
from harness.gbcs.apdu import CRA_ALERT, CRA_COMMAND, CRA_RESPONSE, GroupingHeader, Message, OtherInfo
from harness.gbcs.errors import FramingError, GbcsError, GbtError, KeystoreError, PayloadError

__all__ = ["CRA_ALERT", "CRA_COMMAND", "CRA_RESPONSE", "GroupingHeader", "Message", "OtherInfo", "FramingError",
           "GbcsError", "GbtError", "KeystoreError", "PayloadError"]
