"""Radios for the Zigbee side of emulated devices: one interface (`protocol.Radio`), a simulated implementation
(`sim.SimRadio` on `emulators.medium`) and an EZSP one (`ezsp.EzspRadio`, zigpy/bellows)."""
