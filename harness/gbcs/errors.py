"""Typed errors for malformed GBCS input (all are `harness.errors.InputError`)."""
from __future__ import annotations

from harness.errors import InputError


class GbcsError(InputError):
    """A GBCS message (or part of one) is malformed."""


class FramingError(GbcsError):
    """The MAC header, grouping header or signature field is malformed."""


class PayloadError(GbcsError):
    """A GBZ, DLMS or ASN.1 payload is malformed."""


class GbtError(GbcsError):
    """General-block-transfer blocks are malformed, inconsistent or incomplete."""


class KeystoreError(InputError):
    """A key file is unreadable or ambiguous."""
