"""Steps the Install and Leave suites share: find the CH by its beacon, run inter-PAN CBKE, record timings."""
from __future__ import annotations


def find_ch(han):
    """The beacon of the CH under test among those the HHT hears."""
    beacons = [b for b in han.hht().discover() if b.extended_pan_id == han.chf.identity.eui_int]
    return beacons[0] if beacons else None


def attempt(han, evidence, power_on: float):
    """One inter-PAN CBKE attempt, recorded with its timing against the CH's power-on."""
    beacon = find_ch(han)
    assert beacon is not None, "the HHT hears no beacon whose extended PAN ID is the CH's HAN EUI-64"
    at = han.clock.now()
    outcome = han.hht().interpan_key_establishment(han.chf.identity.eui_int, beacon)
    evidence.append("interpan.txt", f"CH power-on {power_on:.3f}; attempt {at:.3f} ({at - power_on:.0f} s after); "
                                    f"established={outcome.established} {outcome.detail}")
    return outcome


def connect_hht(han, evidence):
    """CH power-on, then the HHT finds it and establishes the inter-PAN key; the beacon used."""
    power_on = han.power_on_ch()
    outcome = attempt(han, evidence, power_on)
    assert outcome.established, f"inter-PAN key establishment with the CH failed: {outcome.detail}"
    return find_ch(han)
