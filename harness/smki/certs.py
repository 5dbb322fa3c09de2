"""Build and read SMKI-shaped X.509 certificates (P-256, ECDSA-SHA256).

Organisation certificates: Subject OU = role (two hex digits), x500UniqueIdentifier = EUI (BIT STRING).
Device certificates: empty subject, critical SAN otherName hardwareModuleName holding the device EUI.
Key usage is digitalSignature (DS) or keyAgreement (KA), critical.
"""
from __future__ import annotations

import datetime
import enum

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from harness.errors import InputError
from harness.smki.roles import Role

HARDWARE_MODULE_NAME = ObjectIdentifier("1.3.6.1.5.5.7.8.4")
# hwType used in the SMKI device certificates (seen in RTDS device certificates)
HW_TYPE = "1.2.826.0.1.8641679.1.2.2.1"
ORG_POLICY = ObjectIdentifier("1.2.826.0.1.8641679.1.2.1.4")
DEVICE_POLICY = ObjectIdentifier("1.2.826.0.1.1800000.1.2.1.4")

NOT_BEFORE = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
NOT_AFTER = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)


class Usage(enum.Enum):
    """What a key is for: digital signature or key agreement."""

    DS = "ds"
    KA = "ka"


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def _key_usage(usage: Usage | None) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=usage is Usage.DS, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=usage is Usage.KA, key_cert_sign=usage is None,
        crl_sign=usage is None, encipher_only=False, decipher_only=False)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
             issuer_key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                           critical=False))


def ca_certificate(name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None = None,
                   issuer_key: ec.EllipticCurvePrivateKey | None = None) -> x509.Certificate:
    """A CA certificate ``OU=07, CN=name``; self-signed when no issuer is given."""
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, Role.ISSUING_AUTHORITY.ou),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer = issuer_key or key
    builder = _builder(subject, issuer.subject if issuer else subject, key.public_key(), signer)
    builder = (builder.add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0),
                                     critical=True)
               .add_extension(_key_usage(None), critical=True))
    return builder.sign(signer, hashes.SHA256())


def organisation_certificate(role: Role, eui: bytes, usage: Usage, public_key: ec.EllipticCurvePublicKey,
                             ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
                             name: str | None = None) -> x509.Certificate:
    """A remote party's DS or KA certificate issued by the organisation CA."""
    attrs = [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role.ou),
             x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + eui,
                                _type=_ASN1Type.BitString)]
    if name:
        attrs.insert(0, x509.NameAttribute(NameOID.COMMON_NAME, name))
    builder = (_builder(x509.Name(attrs), ca.subject, public_key, ca_key)
               .add_extension(_key_usage(usage), critical=True)
               .add_extension(x509.CertificatePolicies([x509.PolicyInformation(ORG_POLICY, None)]), critical=True))
    return builder.sign(ca_key, hashes.SHA256())


def _hardware_module_name(eui: bytes) -> bytes:
    """DER of HardwareModuleName ::= SEQUENCE { hwType OID, hwSerialNum OCTET STRING }."""
    oid = _der_oid(HW_TYPE)
    body = oid + b"\x04\x08" + eui
    return b"\x30" + bytes([len(body)]) + body


def _der_oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    out = bytes([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return b"\x06" + bytes([len(out)]) + out


def device_certificate(eui: bytes, usage: Usage, public_key: ec.EllipticCurvePublicKey,
                       ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """A device DS or KA certificate: empty subject, critical hardwareModuleName SAN with the EUI."""
    san = x509.SubjectAlternativeName([x509.OtherName(HARDWARE_MODULE_NAME, _hardware_module_name(eui))])
    builder = (_builder(x509.Name([]), ca.subject, public_key, ca_key)
               .add_extension(_key_usage(usage), critical=True)
               .add_extension(san, critical=True)
               .add_extension(x509.CertificatePolicies([x509.PolicyInformation(DEVICE_POLICY, None)]),
                              critical=True))
    return builder.sign(ca_key, hashes.SHA256())


def certificate_eui(cert: x509.Certificate) -> bytes:
    """The EUI a certificate names: x500UniqueIdentifier for organisations, hardwareModuleName for devices."""
    for attr in cert.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER):
        value = attr.value if isinstance(attr.value, bytes) else b""
        if len(value) == 9 and value[0] == 0:
            return value[1:]
        raise InputError(f"expected a 64-bit BIT STRING, got {value.hex()}", field="x500UniqueIdentifier")
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise InputError("certificate names no EUI", field="subject") from None
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id == HARDWARE_MODULE_NAME:
            der = other.value
            # SEQUENCE { OID, OCTET STRING(8) }: the serial number is the last 8 bytes after 04 08
            if len(der) >= 12 and der[0] == 0x30 and der[-10:-8] == b"\x04\x08":
                return der[-8:]
            raise InputError("malformed hardwareModuleName", field="subjectAltName")
    raise InputError("no hardwareModuleName otherName", field="subjectAltName")


def certificate_role(cert: x509.Certificate) -> Role | None:
    """The remote-party role of an organisation certificate (Subject OU); None for a device certificate."""
    ous = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    if not ous:
        return None
    try:
        return Role(int(str(ous[0].value), 16))
    except ValueError:
        raise InputError(f"unknown role {ous[0].value!r}", field="subject OU") from None


def certificate_usage(cert: x509.Certificate) -> Usage:
    """DS or KA from the certificate's key usage."""
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    if ku.digital_signature and not ku.key_agreement:
        return Usage.DS
    if ku.key_agreement and not ku.digital_signature:
        return Usage.KA
    raise InputError("key usage is neither digitalSignature nor keyAgreement alone", field="keyUsage")
