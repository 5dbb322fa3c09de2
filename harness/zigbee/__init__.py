"""Zigbee frame codecs as real bytes: IEEE 802.15.4 MAC, NWK, APS (+ commands), inter-PAN stub, beacon payload, ZCL
header, and NWK/APS frame security."""
