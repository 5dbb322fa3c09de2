"""Set Clock content for SRV 8.1.1 Commission Device / SRV 6.11 (BAD 7.2.1.6.10): ECS70 (ESME, DLMS) and GCS28
(GSME, ASN.1), and reading the meter's answers. Layouts as RTDS 6.11 has them (see firmware/roles/set_clock.py):

ECS70: set clock attr 9 = enum 5; action 5 {preset (unspecified), validity start, validity end}; action 4 = 0;
get attr 2 (time); get attr 4 (status). GCS28: SEQUENCE {GeneralizedTime start, GeneralizedTime end}; its response
SEQUENCE {GeneralizedTime meter time, INTEGER status (0 inside the window)}.
"""
from __future__ import annotations

from datetime import datetime, timezone

from harness.errors import ConformanceFailure, InputError
from harness.gbcs import asn1
from harness.gbcs.dlms import Data, DlmsPayload, Spec

ECS70, GCS28 = 0x0062, 0x007F
CLOCK_CLASS = 8
CLOCK_OBIS = bytes.fromhex("0000010000FF")
UNSPECIFIED_TIME = bytes.fromhex("FFFFFFFFFFFFFFFFFF8000FF")


def cosem_time(utc: float) -> bytes:
    """A COSEM date-time as RTDS writes validity times: weekday unspecified, deviation 0x8000, status 0xFF."""
    t = datetime.fromtimestamp(int(utc), timezone.utc)
    return bytes([t.year >> 8, t.year & 0xFF, t.month, t.day, 0xFF, t.hour, t.minute, t.second, 0, 0x80, 0, 0xFF])


def cosem_seconds(value: bytes) -> float:
    """UTC seconds of a 12-octet COSEM date-time (fields as written; deviation and status ignored)."""
    if len(value) != 12:
        raise ConformanceFailure(f"COSEM date-time has {len(value)} octets, not 12")
    try:
        t = datetime((value[0] << 8) | value[1], value[2], value[3], value[5], value[6], value[7], tzinfo=timezone.utc)
    except ValueError as exc:
        raise ConformanceFailure(f"COSEM date-time {value.hex().upper()} is not a date: {exc}") from None
    return t.timestamp()


def generalized_time(utc: float) -> bytes:
    return b"\x18\x0f" + datetime.fromtimestamp(int(utc), timezone.utc).strftime("%Y%m%d%H%M%SZ").encode()


def ecs70_payload(counter: int, start: float, end: float) -> bytes:
    spec = lambda kind, member: Spec(kind, CLOCK_CLASS, CLOCK_OBIS, member)  # noqa: E731
    window = Data(0x02, [Data(0x09, UNSPECIFIED_TIME), Data(0x09, cosem_time(start)), Data(0x09, cosem_time(end))])
    return DlmsPayload(0xD9, 0x20000000 | (counter & 0xFFFFFF), b"",
                       [spec(2, 9), spec(3, 5), spec(3, 4), spec(1, 2), spec(1, 4)],
                       [Data(0x16, 5), window, Data(0x0F, 0), Data(0x00), Data(0x00)]).encode()


def gcs28_payload(start: float, end: float) -> bytes:
    body = generalized_time(start) + generalized_time(end)
    return b"\x30" + bytes([len(body)]) + body


def meter_time(message_code: int, payload: bytes) -> tuple[float | None, bool]:
    """(the meter's time, whether it set its clock) from an ECS70 or GCS28 response; ConformanceFailure when the
    payload is not the response layout."""
    try:
        if message_code == ECS70:
            rsp = DlmsPayload.decode(payload)
            ok = len(rsp.results) == 5 and all(r == 0 for _, r in rsp.results)
            return (cosem_seconds(bytes(rsp.data[3].value)) if ok else None), ok
        [seq] = asn1.decode(payload)
        when, status = seq.children
        text = when.value.decode("ascii")
        t = datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
        return t, int.from_bytes(status.value, "big", signed=True) == 0
    except (InputError, ValueError, TypeError, AttributeError, IndexError) as exc:  # the meter's layout is wrong
        raise ConformanceFailure(f"Set Clock response 0x{message_code:04X} has not the GBCS layout: {exc}") from exc
