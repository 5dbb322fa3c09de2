"""Zigbee Smart Energy security: AES-MMO, install codes, CCM* frame security, ECC, ECQV, CBKE, Key Establishment."""
