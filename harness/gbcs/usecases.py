"""GBCS message codes (the use case in other-information) and their use-case names.

Sources: gbcs.md 1.8 (parser table), the RTDS directory names (``<SRV>_<UseCase>``), and GBCS Table 13 order.
Codes named only by an RTDS directory (CCS05 0004, CS02f-g, ECS46d, ECS47a/e, ECS61d/e, ECS100-200, GCS60a, CS09) are
inferred from the directory holding them.
"""
from __future__ import annotations

USE_CASES: dict[int, str] = {
    # CHF (communications hub) use cases
    0x0001: "CCS01", 0x0002: "CCS02", 0x0003: "CCS03", 0x0004: "CCS05", 0x00FE: "CCS07", 0x0128: "CCS08",
    # common (all device types)
    0x0007: "CS01a", 0x0097: "CS01b", 0x0008: "CS02a",
    0x0100: "CS02b", 0x0101: "CS02b", 0x0102: "CS02b", 0x0103: "CS02b", 0x0104: "CS02b", 0x0105: "CS02b",
    0x0106: "CS02b", 0x0107: "CS02b", 0x0108: "CS02b", 0x0109: "CS02b",
    0x000A: "CS02c", 0x000B: "CS02d", 0x000C: "CS02e", 0x011B: "CS02f",
    0x0124: "CS02g", 0x0125: "CS02g", 0x0126: "CS02g",
    0x000D: "CS03A1", 0x00AB: "CS03A2", 0x000E: "CS03B", 0x00AF: "CS03C",
    0x000F: "CS04AC", 0x0010: "CS04B", 0x0012: "CS06", 0x0013: "CS07", 0x0129: "CS08", 0x012B: "CS09",
    0x0014: "CS10a", 0x00A1: "CS10b", 0x0015: "CS11", 0x0018: "CS14",
    # ESME
    0x0019: "ECS01a", 0x00B7: "ECS01c", 0x001C: "ECS04a", 0x001F: "ECS08", 0x0020: "ECS09", 0x0022: "ECS12",
    0x0023: "ECS14", 0x00C1: "ECS15c", 0x0026: "ECS17a", 0x0027: "ECS17b", 0x002A: "ECS17e", 0x002B: "ECS18a",
    0x002C: "ECS18b", 0x002D: "ECS19", 0x002E: "ECS20a", 0x002F: "ECS20b", 0x0033: "ECS21a", 0x0034: "ECS21b",
    0x0035: "ECS21c", 0x0037: "ECS22b", 0x003A: "ECS24", 0x00BD: "ECS24b", 0x00EB: "ECS25a2", 0x00B0: "ECS25b",
    0x00EE: "ECS25r1", 0x003C: "ECS26b", 0x00BE: "ECS26j", 0x00C6: "ECS26k", 0x0042: "ECS27", 0x0043: "ECS28a",
    0x00AE: "ECS29b", 0x00D2: "ECS29d", 0x0048: "ECS35a", 0x0049: "ECS35b", 0x0093: "ECS35c", 0x00BA: "ECS35f",
    0x004E: "ECS40", 0x004F: "ECS42", 0x0050: "ECS43", 0x0054: "ECS46c", 0x011A: "ECS46d", 0x0055: "ECS47",
    0x011E: "ECS47a", 0x011F: "ECS47e", 0x0058: "ECS50", 0x0059: "ECS52", 0x005A: "ECS57", 0x005F: "ECS62",
    0x011C: "ECS61d", 0x011D: "ECS61e", 0x0062: "ECS70", 0x0068: "ECS81",
    0x0120: "ECS100", 0x0121: "ECS101", 0x0122: "ECS102", 0x0123: "ECS200",
    0x0028: "ECS17c", 0x0029: "ECS17d", 0x0036: "ECS22a",
    # GSME
    0x006B: "GCS01a", 0x006C: "GCS02", 0x0070: "GCS06", 0x0073: "GCS11", 0x0074: "GCS13a", 0x00B8: "GCS13b",
    0x00C3: "GCS15b", 0x00C4: "GCS15d", 0x0078: "GCS17", 0x00F1: "GCS20r", 0x00B5: "GCS21b", 0x009F: "GCS21f",
    0x00BF: "GCS21j", 0x00DA: "GCS21k", 0x007C: "GCS23", 0x007D: "GCS24", 0x00FC: "GCS24a", 0x007F: "GCS28",
    0x0084: "GCS38", 0x00C2: "GCS40d", 0x008C: "GCS59", 0x008D: "GCS60", 0x012A: "GCS60a", 0x00A0: "GCS61",
    0x00B2: "GCS62",
    # HAN-only (PPMID to GSME)
    0x009B: "PCS01", 0x0090: "PCS02",
    # alerts
    0x00CA: "FDA-FirmwareActivation", 0x00CB: "FDA-UpdateSecurityCredentials", 0x00CC: "FDA-DLMS",
    0x00CD: "FDA-ZigBee", 0x00CE: "FDRA-DLMS", 0x00CF: "FDRA-ZigBee", 0x00F0: "MIIWA-ESME", 0x00F2: "MIIWA-GSME",
    0x0110: "DBCH06", 0x0111: "DBCH07", 0x0112: "DBCH08", 0x0113: "DBCH09", 0x0114: "DBCH10", 0x0115: "DBCH11",
    0x1000: "GCA", 0x1001: "GNCA",
    # Table 13 codes RTDS uses beyond the parser table of gbcs.md 1.8 (code -> use case as the public DCC parser
    # names them; 00D5 is the 'failure to deliver a remote party message to the ESME' alert)
    0x001A: "ECS02", 0x001B: "ECS03", 0x001D: "ECS05", 0x001E: "ECS07", 0x0021: "ECS10", 0x0024: "ECS15a",
    0x0025: "ECS16", 0x0030: "ECS20c", 0x0038: "ECS22c", 0x0039: "ECS23", 0x003B: "ECS26a", 0x003D: "ECS26c",
    0x003E: "ECS26d", 0x003F: "ECS26e", 0x0040: "ECS26f", 0x0044: "ECS28b", 0x0045: "ECS29a", 0x0046: "ECS30",
    0x0047: "ECS34", 0x004A: "ECS37", 0x004B: "ECS38", 0x004C: "ECS39a", 0x004D: "ECS39b", 0x0051: "ECS44",
    0x0052: "ECS45", 0x0053: "ECS46a", 0x005E: "ECS61c", 0x0060: "ECS66", 0x0061: "ECS68", 0x0067: "ECS80",
    0x0069: "ECS82", 0x0092: "ECS26i", 0x0094: "ECS35d", 0x00A2: "ECS01b", 0x00AC: "ECS25a", 0x00B3: "ECS04b",
    0x00B9: "ECS35e", 0x00BB: "ECS61a", 0x00BC: "ECS23b", 0x00C7: "ECS01d", 0x00C9: "ECS20d", 0x00D1: "ECS29c",
    0x00D3: "ECS29e", 0x00D4: "ECS29f", 0x00D7: "ECS30a", 0x00D9: "ECS26l", 0x00DB: "ECS48", 0x00DE: "ECS08a",
    0x00EA: "ECS25a1", 0x00EC: "ECS25a3", 0x00ED: "ECS25b3", 0x00EF: "ECS25r2", 0x00F9: "ECS26m", 0x00FA: "ECS26n",
    0x00FD: "ECS35g", 0x006D: "GCS03", 0x006E: "GCS04", 0x006F: "GCS05", 0x0071: "GCS07", 0x0072: "GCS09",
    0x0075: "GCS14", 0x0076: "GCS15c", 0x0077: "GCS16a", 0x0079: "GCS18", 0x007B: "GCS21a", 0x007E: "GCS25",
    0x0080: "GCS31", 0x0081: "GCS32", 0x0082: "GCS33", 0x0083: "GCS36", 0x0085: "GCS39", 0x0086: "GCS40a",
    0x0087: "GCS41", 0x0088: "GCS44", 0x0089: "GCS46", 0x008B: "GCS53", 0x0096: "GCS16b", 0x009D: "GCS21d",
    0x009E: "GCS21e", 0x00A3: "GCS01b", 0x00AD: "GCS20", 0x00B4: "GCS40b", 0x00B6: "GCS13c", 0x00C0: "GCS40c",
    0x00C5: "GCS15e", 0x00D8: "GCS25a", 0x00FB: "GCS21m", 0x010A: "DBCH01", 0x010B: "DBCH02", 0x010C: "DBCH03",
    0x010D: "DBCH04", 0x010E: "DBCH05", 0x010F: "CCS06", 0x0116: "PECS01", 0x0117: "PECS02", 0x0118: "PECS03",
    0x0119: "HECS01", 0x00D5: "FDRPM-ESME",
}

HAN_ONLY = frozenset({0x009B, 0x0090})


def use_case(message_code: int) -> str | None:
    """The use-case name for a message code, or None when the code is not in the table."""
    return USE_CASES.get(message_code)


def is_han_only(message_code: int) -> bool:
    """True for device-to-device (HAN-only) use cases, whose command MAC is not the ACB's."""
    return message_code in HAN_ONLY
