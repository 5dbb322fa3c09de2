"""SRV 6.23 Update Security Credentials (CoS) as the DCC sends it on the CoS Party's signed pre-command: CS02b
supplierByTransCoS (message code 0x0107), critical, from the Transitional CoS party, replacing the certificates in a
device's Supplier trust anchor cells with the gaining supplier's (BAD 7.7.1.5.4).

Payload and response layout [I: INFERRED from RTDS 6.23_CS02bSupplierByTransCoS; no GBCS ASN.1 module in the rig's
sources; the device side reads the same layout, firmware/roles/credentials.py, correct both together]:
    command  SEQUENCE { SEQUENCE { INTEGER mode (7), [2] {INTEGER role 5, BIT STRING digitalSignature},
                                   [3] INTEGER authorising sequence number, [6] floor sequence numbers },
                        SEQUENCE OF SEQUENCE { Certificate, SEQUENCE { INTEGER role 2, BIT STRING keyUsage } },
                        SEQUENCE OF Certificate (the issuing organisation CA's) }
    response SEQUENCE { NULL, SEQUENCE { INTEGER seq, INTEGER mode, SEQUENCE, SEQUENCE OF SEQUENCE { cell,
                        ENUMERATED status, OCTET STRING prior EUI, prior SKI, new EUI, new SKI } } }
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness.errors import ConformanceFailure, InputError
from harness.gbcs.asn1 import Tlv, decode as decode_asn1

CS02B_COS = 0x0107
SUPPLIER_BY_TRANSCOS = 7
TRANSCOS_ROLE, SUPPLIER_ROLE = 5, 2
DIGITAL_SIGNATURE, KEY_AGREEMENT = b"\x07\x80", b"\x03\x08"  # keyUsage BIT STRING values, as RTDS cells carry them
FLOOR = bytes.fromhex("301002010202010030083006020100020100")  # [6]: as RTDS 6.23 carries it [I]


def _int(n: int) -> Tlv:
    return Tlv(b"\x02", n.to_bytes((n.bit_length() + 8) // 8, "big"))


def _der(cert: x509.Certificate) -> Tlv:
    (tlv,) = decode_asn1(cert.public_bytes(serialization.Encoding.DER))
    return tlv


def _cell(key_usage: bytes) -> Tlv:
    return Tlv(b"\x30", children=[_int(SUPPLIER_ROLE), Tlv(b"\x03", key_usage)])


def cos_payload(ds: x509.Certificate, ka: x509.Certificate, issuing_ca: x509.Certificate) -> Callable[[int], bytes]:
    """The CS02b content, as a function of the command's counter (its authorising sequence number), replacing the
    Supplier digitalSignature and keyAgreement cells with `ds` and `ka` (the gaining supplier's certificates), with
    the certification path `issuing_ca`."""
    replacements = Tlv(b"\x30", children=[Tlv(b"\x30", children=[_der(cert), _cell(usage)])
                                          for cert, usage in ((ds, DIGITAL_SIGNATURE), (ka, KEY_AGREEMENT))])
    path = Tlv(b"\x30", children=[_der(issuing_ca)])

    def content(counter: int) -> bytes:
        control = Tlv(b"\x30", children=[
            _int(SUPPLIER_BY_TRANSCOS), Tlv(b"\xa2", children=[_int(TRANSCOS_ROLE), Tlv(b"\x03", DIGITAL_SIGNATURE)]),
            Tlv(b"\x83", _int(counter).value), Tlv(b"\xa6", FLOOR)])
        return Tlv(b"\x30", children=[control, replacements, path]).encode()
    return content


@dataclass(frozen=True)
class Replaced:
    """One cell's outcome in a CS02b response."""

    key_usage: bytes
    status: int
    prior: bytes
    new: bytes


def cos_outcomes(payload: bytes) -> list[Replaced]:
    """Each cell's outcome in a CS02b response; ConformanceFailure when the response has another layout."""
    try:
        (top,) = decode_asn1(payload)
        null, result = top.children or ()
        if null.tag != b"\x05" or result.tag != b"\x30":
            raise ValueError("not SEQUENCE {NULL, SEQUENCE}")
        rows = (result.children or ())[-1].children or ()
        out = []
        for row in rows:
            cell, status, prior, _, new, _ = row.children or ()
            out.append(Replaced(bytes(cell.children[1].value), int.from_bytes(status.value, "big"),
                                bytes(prior.value), bytes(new.value)))
        return out
    except (ValueError, TypeError, IndexError, InputError) as exc:
        raise ConformanceFailure(f"CS02b response has an unknown layout: {exc}") from exc
