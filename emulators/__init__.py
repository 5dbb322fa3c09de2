"""Host halves of the emulated devices, and the simulated radio medium."""
