"""MPxN on the ESME (BAD 7.2.1.6.11, AC 4.14): SRV 6.20.1 sets it (ECS39a import MPAN), SRV 6.2.7 reads it back
(ECS40). ECS40 as RTDS 6.2.7 has it: get attribute 2 of the class 1 objects 0-0:94.44.34.11 (import MPAN) and
1-0:0.0.2.255 (export MPAN). [I] ECS39a: a DLMS set of attribute 2 of the import object (no RTDS sample)."""
from __future__ import annotations

from harness.errors import ConformanceFailure, InputError
from harness.dcc.reads import first_octet_string
from harness.gbcs.dlms import Data, DlmsPayload, Spec

ECS39A, ECS40 = 0x004C, 0x004E
IMPORT_MPAN = bytes.fromhex("00005E2C220B")
EXPORT_MPAN = bytes.fromhex("0100000002FF")


def set_import_payload(counter: int, mpan: bytes) -> bytes:
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"", [Spec(2, 1, IMPORT_MPAN, 2)],
                       [Data(0x09, mpan)]).encode()


def read_payload(counter: int) -> bytes:
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"",
                       [Spec(1, 1, IMPORT_MPAN, 2), Spec(1, 1, EXPORT_MPAN, 2)], [Data(0x00), Data(0x00)]).encode()


def results(payload: bytes) -> list[tuple[int, int]]:
    try:
        return DlmsPayload.decode(payload).results
    except InputError as exc:
        raise ConformanceFailure(f"the MPAN response is not a DLMS access-response: {exc}") from None


def import_mpan(payload: bytes) -> bytes | None:
    """The import MPAN an ECS40 response reports (None when its read failed)."""
    return first_octet_string(payload, "ECS40")
