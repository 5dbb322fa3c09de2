"""MicroPython boards: the `Board` interface, simulated boards and real boards on a serial port."""
