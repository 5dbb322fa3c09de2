"""A device's human interface (keypad, display, supply relay or valve) as a conformance check may use it: on an
emulated board over the board link, on a real device through an operator prompt or a vendor's plugin."""
