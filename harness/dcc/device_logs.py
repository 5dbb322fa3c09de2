"""A meter's event and security logs through the DCC (BAD 7.5.7.5.1): SRV 6.13 reads them (ECS35a event log, ECS35b
security log), SRV 3.3 clears the event log (ECS15a); the security log cannot be cleared.

Layouts as RTDS has them: ECS35a / ECS35b (6.13) are a get-with-selection of attribute 2 (buffer) of the class 7
profile generic 0-0:99.98.0.255 (event log) / 0-0:99.98.1.255 (security log), range descriptor on the UTC time
object (class 1, 0-0:94.44.100.255, attribute 2), from and to as seconds since 2000-01-01; the response is one
compact-array of {double-long-unsigned time, long-unsigned event code, octet-string} (event log) or {time, code}
(security log). ECS15c (3.3) clears a log with method 1 (reset) of its profile generic, data integer 0, and is
answered by one action result. [I] ECS15a (no RTDS sample) is that reset on the event log 0-0:99.98.0.255; the same
reset naming the security log is how a party would try to clear it.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import ConformanceFailure, InputError
from harness.gbcs.dlms import Data, DlmsPayload, Spec

ECS15A, ECS15C, ECS35A, ECS35B = 0x0024, 0x00C1, 0x0048, 0x0049
PROFILE_GENERIC, BUFFER, RESET = 7, 2, 1
EVENT_LOG = bytes.fromhex("0000636200FF")
SECURITY_LOG = bytes.fromhex("0000636201FF")
ALCS_LOG = bytes.fromhex("0011636202FF")  # ECS15c's log (RTDS 3.3_ECS15c)
UTC_TIME = bytes.fromhex("00005E2C64FF")
RANGE_DESCRIPTOR = 1
GB_EPOCH = 946684800  # 2000-01-01T00:00:00Z: log times count seconds from it
READS = {EVENT_LOG: ECS35A, SECURITY_LOG: ECS35B}
# compact-array type descriptions of the two logs' entries (RTDS ECS35a / ECS35b responses)
ENTRY_TYPES = {EVENT_LOG: bytes.fromhex("0203061209"), SECURITY_LOG: bytes.fromhex("02020612")}
_WIDTH = {0x06: 4, 0x12: 2}


@dataclass(frozen=True)
class Entry:
    """One log entry: `time` (Unix seconds), the event `code`, and the event log's extra octets (b"" otherwise)."""

    time: int
    code: int
    extra: bytes = b""


def _invoke(counter: int) -> int:
    return 0x20000000 | (counter & 0xFFFFFF)


def read_payload(counter: int, log: bytes, start: int, end: int) -> bytes:
    """ECS35a / ECS35b: the entries of `log` logged from `start` to `end` (Unix seconds)."""
    restricting = Data(0x02, [Data(0x12, 1), Data(0x09, UTC_TIME), Data(0x0F, 2), Data(0x12, 0)])
    selection = Data(0x02, [restricting, Data(0x06, start - GB_EPOCH), Data(0x06, end - GB_EPOCH), Data(0x01, [])])
    spec = Spec(4, PROFILE_GENERIC, log, BUFFER, RANGE_DESCRIPTOR, selection)
    return DlmsPayload(0xD9, _invoke(counter), b"", [spec], [Data(0x00)]).encode()


def clear_payload(counter: int, log: bytes) -> bytes:
    """ECS15a / ECS15c: reset (clear) `log`."""
    return DlmsPayload(0xD9, _invoke(counter), b"", [Spec(3, PROFILE_GENERIC, log, RESET)], [Data(0x0F, 0)]).encode()


def _response(payload: bytes, what: str) -> DlmsPayload:
    try:
        rsp = DlmsPayload.decode(payload)
    except InputError as exc:
        raise ConformanceFailure(f"the {what} response is not a DLMS access-response: {exc}") from None
    if rsp.apdu != 0xDA or len(rsp.results) != 1:
        raise ConformanceFailure(f"the {what} response is not an access-response with one result")
    return rsp


def action_result(payload: bytes) -> int:
    """The action result of an ECS15a / ECS15c response (0 success)."""
    return _response(payload, "clear log").results[0][1]


def entries(payload: bytes, log: bytes) -> list[Entry] | None:
    """The entries an ECS35a / ECS35b response holds (None when the read failed); ConformanceFailure for a response
    that is not the log's compact-array layout."""
    rsp = _response(payload, "log read")
    if rsp.results[0][1] != 0:
        return None
    if len(rsp.data) != 1 or rsp.data[0].tag != 0x13 or rsp.data[0].type_description != ENTRY_TYPES[log]:
        raise ConformanceFailure(f"the log read response is not a compact-array of "
                                 f"{ENTRY_TYPES[log].hex().upper()} entries")
    return _decode(bytes(rsp.data[0].value), ENTRY_TYPES[log][2:])


def _decode(contents: bytes, types: bytes) -> list[Entry]:
    out, pos = [], 0
    while pos < len(contents):
        fields: list = []
        for tag in types:
            if tag == 0x09:
                size = contents[pos] if pos < len(contents) else 0
                value: object = contents[pos + 1:pos + 1 + size]
                pos += 1 + size
            else:
                value = int.from_bytes(contents[pos:pos + _WIDTH[tag]], "big")
                pos += _WIDTH[tag]
            if pos > len(contents):
                raise ConformanceFailure(f"the log read response's compact-array is truncated at octet {pos}")
            fields.append(value)
        out.append(Entry(fields[0] + GB_EPOCH, fields[1], bytes(fields[2]) if len(fields) > 2 else b""))
    return out
