"""SRV 6.22 Configure Alert Behaviour on the ESME (BAD 7.5.6.1): ECS25a2, non-critical, from the supplier. As RTDS
6.22 has it: a DLMS set of attribute 2 of the class 1 object 0-30:97.98.13.255 with a 512-bit bit-string, each bit
enabling (1) or disabling (0) one non-critical alert; the response is one set result. Which alert each bit names is
not in the reference material, so the suites use only the filter with every bit clear: it disables every alert the
filter can name, and no Critical alert (those cannot be disabled)."""
from __future__ import annotations

from harness.dcc.mpxn import results as set_results
from harness.gbcs.dlms import Data, DlmsPayload, Spec

ECS25A2 = 0x00EB
FILTER = bytes.fromhex("001E61620DFF")
FILTER_BITS = 512
NONE_ENABLED = bytes(FILTER_BITS // 8)


def payload(counter: int, bits: bytes) -> bytes:
    """ECS25a2 setting the alert filter to `bits` (64 octets)."""
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", [Spec(2, 1, FILTER, 2)],
                       [Data(0x04, bytes(bits), bits=FILTER_BITS)]).encode()


def accepted(response_payload: bytes) -> bool:
    """Whether an ECS25a2 response reports its one set done."""
    return set_results(response_payload) == [(2, 0)]
