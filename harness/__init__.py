"""Harness: DCC core, GBCS and Zigbee SE codecs and crypto, pytest plugin, verdicts and results."""
