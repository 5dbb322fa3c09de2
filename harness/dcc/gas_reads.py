"""Gas reads the GPF answers from the GSME's mirror (BAD 7.2.1.6.7, Table 8), or the GSME itself when the read is sent
to it (RTDS 4.1.1 has both): GCS13a Read GSME Consumption (SRV 4.1.1) as RTDS 4.1.1 has it: a GBZ Metering Read Attributes of Divisor, Multiplier, UnitOfMeasure and
CurrentSummationDelivered, answered with one component encrypted to the requester (GBCS section 8), whose plaintext
is the ZCL read-attribute records (layout: firmware/roles/gas_mirror.py)."""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import ConformanceFailure, InputError
from harness.gbcs.apdu import GroupingHeader
from harness.gbcs.gbz import GbzPayload
from harness.gbcs.keystore import KeyStore
from harness.gbcs.payload import decode_payload
from harness.gbcs.verify import content_key
from harness.zigbee import mirror, zcl

GCS13A = 0x0074
ATTRIBUTES = (mirror.DIVISOR, mirror.MULTIPLIER, mirror.UNIT, mirror.SUMMATION)  # RTDS 4.1.1 order


def gcs13a_payload(seq: int = 0) -> bytes:
    """GBZ: one Metering component, ZCL Read Attributes (frame control 00) of the four register attributes."""
    read = bytes([0x00, seq & 0xFF, zcl.READ_ATTRIBUTES]) + b"".join(a.to_bytes(2, "little") for a in ATTRIBUTES)
    return b"\x01\x09\x01" + bytes([0x01]) + mirror.CLUSTER.to_bytes(2, "big") + len(read).to_bytes(2, "big") + read


@dataclass(frozen=True)
class GasRegister:
    summation: int
    unit: int
    multiplier: int
    divisor: int


def gas_register(header: GroupingHeader, keys: KeyStore) -> GasRegister:
    """The register a verified GCS13a response reports, decrypted with the requester's key; ConformanceFailure when
    the device's answer is not one encrypted Metering Read Attributes Response holding the four attributes."""
    try:
        payload = decode_payload(header, lambda: content_key(header, keys))
    except InputError as exc:
        raise ConformanceFailure(f"the GCS13a response content does not decode: {exc}") from None
    body = payload.body
    if not isinstance(body, GbzPayload) or len(body.components) != 1 or not body.components[0].encrypted \
            or body.components[0].cluster != mirror.CLUSTER:
        raise ConformanceFailure("the GCS13a response is not one encrypted Metering component (GBCS section 8)")
    if payload.decryption != "valid":
        raise ConformanceFailure(f"the GCS13a response's encrypted component does not decrypt ({payload.decryption}: "
                                 f"{payload.errors})")
    [clear] = payload.plaintexts.values()
    try:
        records = zcl.parse_read_attributes_response(clear)
    except InputError as exc:
        raise ConformanceFailure(f"the decrypted GCS13a records do not parse: {exc}") from None
    values = {}
    for attr in ATTRIBUTES:
        status, _, value = records.get(attr, (None, None, b""))
        if status != zcl.STATUS_SUCCESS:
            raise ConformanceFailure(f"GCS13a: attribute 0x{attr:04X} not read (status {status})")
        values[attr] = int.from_bytes(value, "little")
    return GasRegister(values[mirror.SUMMATION], values[mirror.UNIT], values[mirror.MULTIPLIER],
                       values[mirror.DIVISOR])
