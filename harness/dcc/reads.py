"""Reading a value out of a device's DLMS read response (ECS40 MPAN, ECS52 firmware version, ...)."""
from __future__ import annotations

from harness.errors import ConformanceFailure, InputError
from harness.gbcs.dlms import DlmsPayload


def first_octet_string(payload: bytes, what: str) -> bytes | None:
    """The octet-string the first read of a `what` access-response returned (None when that read failed);
    ConformanceFailure when the response is not a DLMS access-response."""
    try:
        rsp = DlmsPayload.decode(payload)
    except InputError as exc:
        raise ConformanceFailure(f"the {what} response is not a DLMS access-response: {exc}") from None
    if not rsp.results or rsp.results[0][1] != 0 or not rsp.data or rsp.data[0].tag != 0x09:
        return None
    return bytes(rsp.data[0].value)
