"""DLMS COSEM xDLMS payloads: access-request (D9), access-response (DA), data-notification (0F), and A-XDR typed
Data decoded to a structure. Every decode is lossless: ``encode()`` gives back the input bytes."""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.gbcs.ber import Reader, encode_length
from harness.gbcs.errors import PayloadError

ACCESS_REQUEST, ACCESS_RESPONSE, DATA_NOTIFICATION = 0xD9, 0xDA, 0x0F
MAX_DEPTH = 32
MAX_ITEMS = 10000

# tag -> (name, fixed width) for fixed-width types
FIXED = {0x03: ("boolean", 1), 0x05: ("double-long", 4), 0x06: ("double-long-unsigned", 4), 0x0D: ("bcd", 1),
         0x0F: ("integer", 1), 0x10: ("long", 2), 0x11: ("unsigned", 1), 0x12: ("long-unsigned", 2),
         0x14: ("long64", 8), 0x15: ("long64-unsigned", 8), 0x16: ("enum", 1), 0x17: ("float32", 4),
         0x18: ("float64", 8), 0x19: ("date-time", 12), 0x1A: ("date", 5), 0x1B: ("time", 4)}
SIGNED = {0x05, 0x0F, 0x10, 0x14}
INTEGERS = {0x05, 0x06, 0x0D, 0x0F, 0x10, 0x11, 0x12, 0x14, 0x15, 0x16}
STRINGS = {0x09: "octet-string", 0x0A: "visible-string", 0x0C: "utf8-string"}
TYPE_NAMES = {0x00: "null-data", 0x01: "array", 0x02: "structure", 0x04: "bit-string", 0x13: "compact-array",
              0xFF: "dont-care", **STRINGS, **{t: n for t, (n, _) in FIXED.items()}}


@dataclass
class Data:
    """One A-XDR Data value. ``value``: list[Data] (array, structure), int (integers, boolean byte),
    bytes (strings, floats, dates, bit-string bits, compact-array contents) or None (null, don't-care).
    ``bits`` is the bit count of a bit-string; ``type_description`` the raw type of a compact-array."""

    tag: int
    value: object = None
    bits: int | None = None
    type_description: bytes | None = None

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.tag]

    def encode(self) -> bytes:
        t = bytes([self.tag])
        if self.tag in (0x00, 0xFF):
            return t
        if self.tag in (0x01, 0x02):
            items = self.value or []
            return t + encode_length(len(items)) + b"".join(i.encode() for i in items)  # type: ignore[union-attr]
        if self.tag in FIXED:
            width = FIXED[self.tag][1]
            if self.tag in INTEGERS or self.tag == 0x03:
                return t + int(self.value).to_bytes(width, "big", signed=self.tag in SIGNED)  # type: ignore[arg-type]
            return t + bytes(self.value)  # type: ignore[arg-type]
        if self.tag in STRINGS:
            return t + encode_length(len(self.value)) + bytes(self.value)  # type: ignore[arg-type]
        if self.tag == 0x04:
            return t + encode_length(self.bits or 0) + bytes(self.value)  # type: ignore[arg-type]
        if self.tag == 0x13:
            return t + (self.type_description or b"") + encode_length(len(self.value)) + bytes(self.value)  # type: ignore
        raise ValueError(f"unknown Data tag 0x{self.tag:02X}")

    def to_json(self) -> object:
        out: dict = {"type": self.type_name}
        if isinstance(self.value, list):
            out["value"] = [i.to_json() for i in self.value]
        elif isinstance(self.value, (bytes, bytearray)):
            out["value"] = bytes(self.value).hex().upper()
            if self.tag == 0x0A and bytes(self.value).isascii():
                out["text"] = bytes(self.value).decode("ascii")
        elif self.value is not None:
            out["value"] = self.value
        if self.bits is not None:
            out["bits"] = self.bits
        if self.type_description is not None:
            out["type_description"] = self.type_description.hex().upper()
        return out


def _type_description(r: Reader, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise r.fail("dlms.type_description", "nesting too deep")
    tag = r.u8("dlms.type_description")
    if tag == 0x01:
        r.take(2, "dlms.type_description.count")
        _type_description(r, depth + 1)
    elif tag == 0x02:
        for _ in range(r.length("dlms.type_description.count")):
            _type_description(r, depth + 1)
    elif tag not in TYPE_NAMES or tag == 0x13:
        raise r.fail("dlms.type_description", f"unknown type 0x{tag:02X}", r.offset - 1)


def read_data(r: Reader, depth: int = 0) -> Data:
    """Read one A-XDR Data value."""
    if depth > MAX_DEPTH:
        raise r.fail("dlms.data", f"nesting deeper than {MAX_DEPTH}")
    at = r.offset
    tag = r.u8("dlms.data.tag")
    if tag in (0x00, 0xFF):
        return Data(tag)
    if tag in (0x01, 0x02):
        count = r.length("dlms.data.count")
        if count > min(MAX_ITEMS, r.remaining()):
            raise r.fail("dlms.data.count", f"{count} items cannot fit", at + 1)
        return Data(tag, [read_data(r, depth + 1) for _ in range(count)])
    if tag in FIXED:
        raw = r.take(FIXED[tag][1], f"dlms.data.{FIXED[tag][0]}")
        if tag in INTEGERS or tag == 0x03:
            return Data(tag, int.from_bytes(raw, "big", signed=tag in SIGNED))
        return Data(tag, raw)
    if tag in STRINGS:
        return Data(tag, r.lv(f"dlms.data.{STRINGS[tag]}"))
    if tag == 0x04:
        bits = r.length("dlms.data.bit-string")
        return Data(tag, r.take((bits + 7) // 8, "dlms.data.bit-string"), bits=bits)
    if tag == 0x13:
        start = r.pos
        _type_description(r, depth + 1)
        description = r.data[start:r.pos]
        return Data(tag, r.lv("dlms.data.compact-array"), type_description=description)
    raise r.fail("dlms.data.tag", f"unknown Data type 0x{tag:02X}", at)


@dataclass
class Spec:
    """An access-request-specification: 1 get, 2 set, 3 action, 4 get- / 5 set-with-selection."""

    kind: int
    class_id: int
    instance_id: bytes
    member_id: int
    selector: int | None = None
    parameters: Data | None = None

    NAMES = {1: "get", 2: "set", 3: "action", 4: "get-with-selection", 5: "set-with-selection"}

    def encode(self) -> bytes:
        out = bytes([self.kind]) + self.class_id.to_bytes(2, "big") + self.instance_id + bytes([self.member_id])
        if self.kind in (4, 5):
            out += bytes([self.selector or 0]) + (self.parameters or Data(0)).encode()
        return out

    def to_json(self) -> dict:
        out = {"request": self.NAMES[self.kind], "class_id": self.class_id, "obis": self.instance_id.hex().upper(),
               ("method" if self.kind == 3 else "attribute"): self.member_id}
        if self.kind in (4, 5):
            out["selector"] = self.selector
            out["parameters"] = self.parameters.to_json() if self.parameters else None
        return out

    @classmethod
    def read(cls, r: Reader) -> Spec:
        at = r.offset
        kind = r.u8("dlms.access_request_specification")
        if kind not in cls.NAMES:
            raise r.fail("dlms.access_request_specification", f"unknown choice {kind}", at)
        spec = cls(kind, r.uint(2, "dlms.class_id"), r.take(6, "dlms.instance_id"), r.u8("dlms.member_id"))
        if kind in (4, 5):
            spec.selector = r.u8("dlms.selector")
            spec.parameters = read_data(r)
        return spec


def _count(r: Reader, name: str) -> int:
    at = r.offset
    n = r.length(name)
    if n > r.remaining():
        raise r.fail(name, f"{n} items cannot fit", at)
    return n


@dataclass
class DlmsPayload:
    """An xDLMS APDU. ``specs``/``data`` for access-request; ``request_specs`` (None when absent), ``data`` and
    ``results`` (choice, result) for access-response; ``data[0]`` is the body of a data-notification."""

    apdu: int
    invoke_id: int
    date_time: bytes
    specs: list[Spec] = field(default_factory=list)
    data: list[Data] = field(default_factory=list)
    request_specs: list[Spec] | None = None
    results: list[tuple[int, int]] = field(default_factory=list)

    family = "dlms"
    APDU_NAMES = {ACCESS_REQUEST: "access-request", ACCESS_RESPONSE: "access-response",
                  DATA_NOTIFICATION: "data-notification"}

    @classmethod
    def decode(cls, payload: bytes, offset: int = 0) -> DlmsPayload:
        r = Reader(payload, offset, PayloadError)
        apdu = r.u8("dlms.apdu")
        if apdu not in cls.APDU_NAMES:
            raise r.fail("dlms.apdu", f"0x{apdu:02X} is not D9, DA or 0F", offset)
        out = cls(apdu, r.uint(4, "dlms.long_invoke_id"), r.lv("dlms.date_time"))
        if apdu == ACCESS_REQUEST:
            out.specs = [Spec.read(r) for _ in range(_count(r, "dlms.specifications"))]
            out.data = [read_data(r) for _ in range(_count(r, "dlms.list_of_data"))]
        elif apdu == ACCESS_RESPONSE:
            at = r.offset
            present = r.u8("dlms.access_request_specification")
            if present not in (0, 1):
                raise r.fail("dlms.access_request_specification", "optional flag must be 00 or 01", at)
            if present:
                out.request_specs = [Spec.read(r) for _ in range(_count(r, "dlms.specifications"))]
            out.data = [read_data(r) for _ in range(_count(r, "dlms.list_of_data"))]
            for _ in range(_count(r, "dlms.access_response_specification")):
                at = r.offset
                choice = r.u8("dlms.access_response_specification")
                if choice not in (1, 2, 3):
                    raise r.fail("dlms.access_response_specification", f"unknown choice {choice}", at)
                out.results.append((choice, r.u8("dlms.result")))
        else:
            out.data = [read_data(r)]
        r.expect_end("dlms")
        return out

    def encode(self) -> bytes:
        out = bytes([self.apdu]) + self.invoke_id.to_bytes(4, "big") + encode_length(len(self.date_time)) + self.date_time
        if self.apdu == ACCESS_REQUEST:
            out += encode_length(len(self.specs)) + b"".join(s.encode() for s in self.specs)
            out += encode_length(len(self.data)) + b"".join(d.encode() for d in self.data)
        elif self.apdu == ACCESS_RESPONSE:
            if self.request_specs is None:
                out += b"\x00"
            else:
                out += b"\x01" + encode_length(len(self.request_specs)) + b"".join(s.encode() for s in self.request_specs)
            out += encode_length(len(self.data)) + b"".join(d.encode() for d in self.data)
            out += encode_length(len(self.results)) + b"".join(bytes(r) for r in self.results)
        else:
            out += self.data[0].encode()
        return out

    def octet_strings(self) -> list[Data]:
        """Every octet-string Data in the payload, depth first (used to find protected attributes)."""
        found: list[Data] = []
        stack = list(reversed(self.data))
        while stack:
            d = stack.pop()
            if d.tag == 0x09:
                found.append(d)
            elif isinstance(d.value, list):
                stack.extend(reversed(d.value))
        return found

    def to_json(self) -> dict:
        out: dict = {"apdu": self.APDU_NAMES[self.apdu], "long_invoke_id": f"{self.invoke_id:08X}",
                     "date_time": self.date_time.hex().upper()}
        if self.apdu == ACCESS_REQUEST:
            out["specifications"] = [s.to_json() for s in self.specs]
            out["data"] = [d.to_json() for d in self.data]
        elif self.apdu == ACCESS_RESPONSE:
            if self.request_specs is not None:
                out["request_specifications"] = [s.to_json() for s in self.request_specs]
            out["data"] = [d.to_json() for d in self.data]
            out["results"] = [{"response": Spec.NAMES[c], "result": v} for c, v in self.results]
        else:
            out["body"] = self.data[0].to_json()
        return out
