"""GBZ payloads (ZigBee SE ZCL commands carried in GBCS): components, the alert form, From Date Time and
encrypted components (gbcs.md 1.6, 2.6). ZCL payload bytes are kept as they are (little-endian ZCL)."""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.gbcs.ber import Reader
from harness.gbcs.errors import PayloadError

PROFILE = b"\x01\x09"
LAST, ENCRYPTED, FROM_DATE_TIME = 0x01, 0x02, 0x10
MANUFACTURER_SPECIFIC = 0x04
FUTURE_DATED_GBZ_ALERT = 0x00CD


@dataclass
class Component:
    """One GBZ component. For an encrypted component, ``ciphered`` holds ``31 00000000 || ct || tag`` and
    ``additional_control``/``frame_counter`` the additional header; otherwise ``zcl_payload`` is the clear ZCL
    payload. ``manufacturer_code`` is set when the ZCL frame control has the manufacturer-specific bit."""

    control: int
    cluster: int
    frame_control: int
    sequence: int
    command: int
    zcl_payload: bytes = b""
    from_date_time: int | None = None
    manufacturer_code: int | None = None
    additional_control: int | None = None
    frame_counter: int | None = None
    ciphered: bytes | None = None

    @property
    def encrypted(self) -> bool:
        return bool(self.control & ENCRYPTED)

    def _zcl_header(self) -> bytes:
        out = bytes([self.frame_control])
        if self.frame_control & MANUFACTURER_SPECIFIC:
            out += (self.manufacturer_code or 0).to_bytes(2, "little")
        return out + bytes([self.sequence, self.command])

    def encode(self) -> bytes:
        body = b"" if self.from_date_time is None else self.from_date_time.to_bytes(4, "big")
        if self.encrypted:
            ciphered = self.ciphered or b""
            body += bytes([self.additional_control or 0, self.frame_counter or 0]) + self._zcl_header()
            body += len(ciphered).to_bytes(2, "big") + ciphered
        else:
            body += self._zcl_header() + self.zcl_payload
        return bytes([self.control]) + self.cluster.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body

    @classmethod
    def read(cls, r: Reader, index: int) -> Component:
        name = f"gbz.component[{index}]"
        control = r.u8(f"{name}.control")
        cluster = r.uint(2, f"{name}.cluster")
        length_at = r.offset
        body = r.take(r.uint(2, f"{name}.length"), f"{name}.length")
        b = Reader(body, length_at + 2, PayloadError)
        fdt = b.uint(4, f"{name}.from_date_time") if control & FROM_DATE_TIME else None
        extra = {}
        if control & ENCRYPTED:
            extra["additional_control"] = b.u8(f"{name}.additional_header_control")
            extra["frame_counter"] = b.u8(f"{name}.additional_header_frame_counter")
        fc = b.u8(f"{name}.zcl.frame_control")
        mfr = None
        if fc & MANUFACTURER_SPECIFIC:
            mfr = int.from_bytes(b.take(2, f"{name}.zcl.manufacturer_code"), "little")
        seq, cmd = b.u8(f"{name}.zcl.sequence"), b.u8(f"{name}.zcl.command")
        comp = cls(control, cluster, fc, seq, cmd, from_date_time=fdt, manufacturer_code=mfr, **extra)
        if control & ENCRYPTED:
            comp.ciphered = b.take(b.uint(2, f"{name}.ciphered_length"), f"{name}.ciphered_information")
            b.expect_end(f"{name}.ciphered_information")
        else:
            comp.zcl_payload = b.rest()
        return comp

    def to_json(self) -> dict:
        out: dict = {"control": f"{self.control:02X}", "last": bool(self.control & LAST), "encrypted": self.encrypted,
                     "cluster": f"{self.cluster:04X}", "zcl_frame_control": f"{self.frame_control:02X}",
                     "zcl_sequence": self.sequence, "zcl_command": f"{self.command:02X}"}
        if self.from_date_time is not None:
            out["from_date_time"] = self.from_date_time
        if self.manufacturer_code is not None:
            out["manufacturer_code"] = f"{self.manufacturer_code:04X}"
        if self.encrypted:
            out["additional_header_control"] = self.additional_control
            out["additional_header_frame_counter"] = self.frame_counter
            out["ciphered_information"] = (self.ciphered or b"").hex().upper()
        else:
            out["zcl_payload"] = self.zcl_payload.hex().upper()
        return out


@dataclass
class GbzPayload:
    """A GBZ payload. Alerts (``alert_code`` set) carry an alert code and UTC time before the components; an
    alert body that is not in component form (e.g. the future-dated execution alert 0x00CD, or FDRA hash
    trailers) is kept in ``alert_data``, of which the 0x00CD form is also decoded by ``to_json``."""

    count: int
    components: list[Component] = field(default_factory=list)
    alert_code: int | None = None
    alert_time: int | None = None
    alert_data: bytes | None = None
    message_code: int | None = None

    family = "gbz"

    @classmethod
    def decode(cls, payload: bytes, alert: bool = False, message_code: int | None = None,
               offset: int = 0) -> GbzPayload:
        r = Reader(payload, offset, PayloadError)
        if r.take(2, "gbz.profile") != PROFILE:
            raise PayloadError("GBZ payload must start with profile 0109", field="gbz.profile", offset=offset)
        out = cls(r.u8("gbz.component_count"), message_code=message_code)
        if alert:
            out.alert_code = r.uint(2, "gbz.alert_code")
            out.alert_time = r.uint(4, "gbz.alert_time")
            start = r.pos
            try:
                out.components = [Component.read(r, i) for i in range(out.count)]
                r.expect_end("gbz")
            except PayloadError:
                r.pos = start
                out.components = []
                out.alert_data = r.rest()
            return out
        out.components = [Component.read(r, i) for i in range(out.count)]
        r.expect_end("gbz")
        return out

    def encode(self) -> bytes:
        out = PROFILE + bytes([self.count])
        if self.alert_code is not None:
            out += self.alert_code.to_bytes(2, "big") + (self.alert_time or 0).to_bytes(4, "big")
        if self.alert_data is not None:
            return out + self.alert_data
        return out + b"".join(c.encode() for c in self.components)

    def _future_dated(self) -> dict | None:
        data = self.alert_data or b""
        if self.message_code != FUTURE_DATED_GBZ_ALERT or len(data) < 11 or data[0] != len(data) - 1:
            return None
        return {"message_code": f"{int.from_bytes(data[1:3], 'big'):04X}",
                "originator_counter": f"{int.from_bytes(data[3:11], 'big'):016X}", "detail": data[11:].hex().upper()}

    def to_json(self) -> dict:
        out: dict = {"component_count": self.count}
        if self.alert_code is not None:
            out["alert_code"] = f"{self.alert_code:04X}"
            out["alert_time"] = self.alert_time
        out["components"] = [c.to_json() for c in self.components]
        if self.alert_data is not None:
            out["alert_data"] = self.alert_data.hex().upper()
            future = self._future_dated()
            if future:
                out["future_dated_execution"] = future
        return out
