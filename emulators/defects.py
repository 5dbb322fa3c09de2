"""The named defects each emulated role can play (defect injection), with what each breaks.

A defect makes the emulator a non-conformant device under test; the conformance suites must turn FAIL when it
is on (tests/test_defects.py checks that every conformance test catches at least one)."""
from __future__ import annotations


def known_defects() -> dict[str, dict[str, str]]:
    """{role: {defect name: what the emulator then does wrong}}."""
    from emulators.chf import DEFECTS as CHF
    from emulators.han_device import DEFECTS as DEVICE
    from emulators.hht import DEFECTS as HHT

    return {"chf": dict(CHF), "esme": dict(DEVICE), "gsme": dict(DEVICE), "ppmid": dict(DEVICE), "hht": dict(HHT)}
