"""EUI-64s, keys and install codes used by the radio tests."""
from __future__ import annotations

CH_EUI, ESME_EUI, GSME_EUI, HHT_EUI = 0x0A0B0C0D0E0F1011, 0x0A0B0C0D0E0F1012, 0x0A0B0C0D0E0F1013, 0x0A0B0C0D0E0F1020
NETWORK_KEY = bytes.fromhex("F1E2D3C4B5A69788122334455667788A")
PAN_ID, CHANNEL = 0x4A1B, 20
# install codes and their keys: shared/domain/zigbee-se.md section 3 vectors
GOOD_CODE, OTHER_CODE = bytes.fromhex("11223344556677884AF7"), bytes.fromhex("966B9F3EF98AE6059708")
