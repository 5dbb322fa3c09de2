"""CBKE crypto suites: suite 1 = sect163k1 with 48-octet certificates, suite 2 = sect283k1 with 74-octet ones."""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import InputError
from harness.zse.curves import SECT163K1, SECT283K1, Curve


@dataclass(frozen=True)
class Suite:
    number: int
    curve: Curve
    cert_octets: int

    @property
    def bit(self) -> int:
        """This suite's bit in the KeyEstablishmentSuite bitmap."""
        return 1 << (self.number - 1)


SUITE1 = Suite(1, SECT163K1, 48)
SUITE2 = Suite(2, SECT283K1, 74)
SUITES = {1: SUITE1, 2: SUITE2}


def suite(number: int) -> Suite:
    """The suite with this number (1 or 2); InputError otherwise."""
    try:
        return SUITES[number]
    except KeyError:
        raise InputError(f"unknown CBKE suite {number!r} (1 or 2)", field="suite") from None


def from_bit(bitmap: int) -> Suite | None:
    """The suite named by a one-bit KeyEstablishmentSuite value, None for an unknown single bit."""
    for s in SUITES.values():
        if bitmap == s.bit:
            return s
    return None


def negotiate(ours: int, theirs: int) -> Suite | None:
    """Highest common suite of two KeyEstablishmentSuite bitmaps, None when there is none."""
    for number in sorted(SUITES, reverse=True):
        if ours & theirs & SUITES[number].bit:
            return SUITES[number]
    return None
