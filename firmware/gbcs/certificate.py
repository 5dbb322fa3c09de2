# The few fields of a DER X.509 certificate (SMKI organisation or CA certificate, P-256, ecdsa-with-SHA256) a device
# needs when a command carries certificates (CS02b Update Security Credentials): the signed TBS octets and the
# issuer's signature over them, the subject's EUI-64 (x500UniqueIdentifier, organisation certificates only), its
# public key, its keyUsage and Subject Key Identifier. Nothing else is read; a certificate lacking a field reads
# None for it. Runs under MicroPython and CPython.
from firmware.crypto import ecdsa
from firmware.gbcs import der
from firmware.gbcs.errors import ParseError

BIT_STRING, OID, EXTENSIONS = 0x03, 0x06, 0xA3
X500_UNIQUE_ID = b"\x55\x04\x2d"  # 2.5.4.45
KEY_USAGE = b"\x55\x1d\x0f"       # 2.5.29.15
SUBJECT_KEY_ID = b"\x55\x1d\x0e"  # 2.5.29.14
DIGITAL_SIGNATURE, KEY_AGREEMENT = 0x80, 0x08  # keyUsage first-octet bits (as a GBCS trust anchor cell names them)


def usage_bits(bit_string):
    """The first octet of a keyUsage BIT STRING's value (after its unused-bits count), 0 when empty."""
    return bit_string[1] if len(bit_string) > 1 else 0


def elements(value, field):
    """der.elements, its ParseError naming `field`."""
    try:
        return der.elements(value)
    except ParseError:
        raise ParseError("malformed DER", field, 0)


def _subject_eui(name):
    for _, rdn in elements(name, "certificate.subject"):
        for tag, attribute in elements(rdn, "certificate.subject"):
            parts = elements(attribute, "certificate.subject")
            if tag == der.SEQUENCE and len(parts) == 2 and parts[0] == (OID, X500_UNIQUE_ID) \
                    and parts[1][0] == BIT_STRING and len(parts[1][1]) == 9 and parts[1][1][0] == 0:
                return parts[1][1][1:]
    return None


def _extensions(value, found):
    (tag, body), = elements(value, "certificate.extensions")
    for _, ext in elements(body, "certificate.extensions"):
        parts = elements(ext, "certificate.extensions")
        if len(parts) < 2 or parts[0][0] != OID or parts[-1][0] != der.OCTET_STRING:
            raise ParseError("extension is not {OID, [critical], OCTET STRING}", "certificate.extensions", 0)
        inner = elements(parts[-1][1], "certificate.extensions")
        if parts[0][1] == KEY_USAGE and len(inner) == 1 and inner[0][0] == BIT_STRING:
            found["key_usage"] = usage_bits(inner[0][1])
        elif parts[0][1] == SUBJECT_KEY_ID and len(inner) == 1 and inner[0][0] == der.OCTET_STRING:
            found["ski"] = inner[0][1]


def _signature(bit_string):
    """The 64-octet r||s of an ECDSA-Sig-Value in a BIT STRING."""
    if not bit_string or bit_string[0] != 0:
        raise ParseError("signature BIT STRING has unused bits", "certificate.signature", 0)
    (tag, body), = elements(bit_string[1:], "certificate.signature")
    rs = elements(body, "certificate.signature")
    if tag != der.SEQUENCE or len(rs) != 2 or rs[0][0] != der.INTEGER or rs[1][0] != der.INTEGER:
        raise ParseError("signature is not SEQUENCE {INTEGER, INTEGER}", "certificate.signature", 0)
    out = b""
    for _, n in rs:
        n = n.lstrip(b"\x00")
        if len(n) > 32:
            raise ParseError("signature integer longer than 32 octets", "certificate.signature", 0)
        out += bytes(32 - len(n)) + n
    return out


def parse(cert):
    """{"tbs", "signature" (r||s), "eui", "public" (65 octets), "key_usage" (bits), "ski"} of a DER certificate;
    ParseError when it is not one."""
    top, end = der.expect(cert, 0, der.SEQUENCE, "certificate")
    if end != len(cert):
        raise ParseError("trailing octets", "certificate", end)
    parts = elements(top, "certificate")
    if len(parts) != 3 or parts[0][0] != der.SEQUENCE or parts[2][0] != BIT_STRING:
        raise ParseError("not SEQUENCE {tbsCertificate, signatureAlgorithm, signature}", "certificate", 0)
    fields = elements(parts[0][1], "certificate.tbs")
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    if len(fields) < 6:
        raise ParseError("tbsCertificate has too few fields", "certificate.tbs", 0)
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, [3] extensions
    spki = elements(fields[5][1], "certificate.spki")
    if len(spki) != 2 or spki[1][0] != BIT_STRING or len(spki[1][1]) != 66 or spki[1][1][:2] != b"\x00\x04":
        raise ParseError("subjectPublicKey is not an uncompressed P-256 point", "certificate.spki", 0)
    found = {"tbs": top[:der.read(top, 0)[2]],
             "signature": _signature(parts[2][1]), "eui": _subject_eui(fields[4][1]), "public": spki[1][1][1:],
             "key_usage": None, "ski": None}
    for tag, value in fields[6:]:
        if tag == EXTENSIONS:
            _extensions(value, found)
    return found


def signed_by(cert, issuer_public):
    """True when the parsed `cert`'s signature verifies with the issuer's public key (65 octets)."""
    return ecdsa.verify(issuer_public, cert["tbs"], cert["signature"])
