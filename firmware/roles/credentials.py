# CS02b Update Security Credentials for a change of supplier (SRV 6.23, BAD 7.7.1.5.4; message code 0x0107
# supplierByTransCoS): the Transitional CoS party (in the device's TransCoS trust anchor cell) has the certificates in
# the Supplier cells replaced by the gaining supplier's. The device validates the certification path (the issuing
# organisation CA's certificate, carried in the command, under its Root trust anchor; each new certificate under that
# CA) and each certificate's keyUsage against its cell, then replaces the cells all together or none.
#
# Payload [I: INFERRED from RTDS 6.23_CS02bSupplierByTransCoS; the rig's sources hold no GBCS ASN.1 module for it.
# Correct it here and in harness/dcc/credentials.py]:
#   SEQUENCE { authorisingRemotePartyControl SEQUENCE { credentialsReplacementMode INTEGER (7),
#                [2] authorising cell SEQUENCE-like { INTEGER remotePartyRole, BIT STRING keyUsage },
#                [3] INTEGER authorisingRemotePartySeqNumber, [6] new floor sequence numbers (echoed), ... },
#              replacements SEQUENCE OF SEQUENCE { Certificate, cell SEQUENCE { INTEGER remotePartyRole,
#                BIT STRING keyUsage, INTEGER cellUsage OPTIONAL } },
#              certificationPath SEQUENCE OF Certificate (one: the issuing organisation CA's),
#              executionDateTime GeneralizedTime OPTIONAL (not supported: such a command is refused) }
#   response: SEQUENCE { NULL, SEQUENCE { INTEGER seqNumber, INTEGER mode, SEQUENCE (the [6] echoed),
#              SEQUENCE OF SEQUENCE { cell, ENUMERATED 0 (replaced), OCTET STRING prior subject EUI, OCTET STRING
#              prior Subject Key Identifier, OCTET STRING new subject EUI, OCTET STRING new Subject Key Identifier } } }
# Not done: the prepayment KA cell (cellUsage 1) and future-dated replacement (alert 0x00CB); certificate expiry.
# Runs under MicroPython and CPython.
from firmware.gbcs import certificate, der
from firmware.gbcs.errors import ParseError

CS02B_COS = 0x0107
SUPPLIER_BY_TRANSCOS = 7
SUPPLIER_ROLE, TRANSCOS_ROLE = 0x02, 0x05
ENUMERATED = 0x0A
KEY_CERT_SIGN = 0x04  # keyUsage bit of a CA certificate
NO_SKI = bytes(8)     # a prior certificate whose Subject Key Identifier the device never saw (loaded by config)
CELLS = {certificate.DIGITAL_SIGNATURE: "supplier_ds", certificate.KEY_AGREEMENT: "supplier_ka"}


class Invalid(Exception):
    """The command is authentic but its credentials fail a check: nothing is replaced (`reason` names it)."""

    def __init__(self, reason, detail=""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def parse(content):
    """{"mode", "authoriser" (role, keyUsage bits), "seq", "floor" (octets or b""), "replacements" [(certificate
    DER, cell DER, role, keyUsage bits, cellUsage)], "path" [certificate DER], "at" (GeneralizedTime or None)}."""
    body, end = der.expect(content, 0, der.SEQUENCE, "cs02b")
    if end != len(content):
        raise ParseError("trailing octets", "cs02b", end)
    items = certificate.elements(body, "cs02b")
    if len(items) not in (3, 4) or [t for t, _ in items[:3]] != [der.SEQUENCE] * 3 \
            or (len(items) == 4 and items[3][0] != der.GENERALIZED_TIME):
        raise ParseError("expected SEQUENCE {control, replacements, path, [executionDateTime]}", "cs02b", 0)
    out = {"mode": None, "authoriser": None, "seq": None, "floor": b"", "replacements": [], "path": [],
           "at": items[3][1] if len(items) == 4 else None}
    control = certificate.elements(items[0][1], "cs02b.control")
    if not control or control[0][0] != der.INTEGER:
        raise ParseError("credentialsReplacementMode missing", "cs02b.control", 0)
    out["mode"] = der.decode_integer(control[0][1])
    for tag, value in control[1:]:
        if tag == 0xA2:
            cell = certificate.elements(value, "cs02b.control")
            if len(cell) != 2 or cell[0][0] != der.INTEGER or cell[1][0] != certificate.BIT_STRING:
                raise ParseError("authorising cell is not {INTEGER, BIT STRING}", "cs02b.control", 0)
            out["authoriser"] = (der.decode_integer(cell[0][1]), certificate.usage_bits(cell[1][1]))
        elif tag == 0x83:
            out["seq"] = der.decode_integer(value)
        elif tag == 0xA6:
            out["floor"] = value
    for tag, value in certificate.elements(items[1][1], "cs02b.replacements"):
        pair = certificate.elements(value, "cs02b.replacements")
        if tag != der.SEQUENCE or len(pair) != 2 or pair[0][0] != der.SEQUENCE or pair[1][0] != der.SEQUENCE:
            raise ParseError("replacement is not {Certificate, cell}", "cs02b.replacements", 0)
        cell = certificate.elements(pair[1][1], "cs02b.cell")
        if len(cell) not in (2, 3) or cell[0][0] != der.INTEGER or cell[1][0] != certificate.BIT_STRING \
                or (len(cell) == 3 and cell[2][0] != der.INTEGER):
            raise ParseError("cell is not {INTEGER, BIT STRING, [INTEGER]}", "cs02b.cell", 0)
        usage = der.decode_integer(cell[2][1]) if len(cell) == 3 else 0
        out["replacements"].append((der.tlv(der.SEQUENCE, pair[0][1]), der.tlv(der.SEQUENCE, pair[1][1]),
                                    der.decode_integer(cell[0][1]), certificate.usage_bits(cell[1][1]), usage))
    for tag, value in certificate.elements(items[2][1], "cs02b.path"):
        if tag != der.SEQUENCE:
            raise ParseError("path element is not a Certificate", "cs02b.path", 0)
        out["path"].append(der.tlv(der.SEQUENCE, value))
    if out["seq"] is None or out["authoriser"] is None or not out["replacements"]:
        raise ParseError("no authorising cell, sequence number or replacement", "cs02b", 0)
    return out


def validate(command, root_public):
    """The new supplier cells {cell name: {"eui", "public", "ski"}} of a parsed CoS CS02b whose certificates all
    check (path under `root_public`, keyUsage of each cell); Invalid otherwise."""
    if command["mode"] != SUPPLIER_BY_TRANSCOS or command["authoriser"] != (TRANSCOS_ROLE,
                                                                            certificate.DIGITAL_SIGNATURE):
        raise Invalid("not_cos", "mode %s authorised by %s" % (command["mode"], command["authoriser"]))
    if command["at"] is not None:
        raise Invalid("future_dated_unsupported")
    if len(command["path"]) != 1 or root_public is None:
        raise Invalid("path", "one issuing CA certificate and a Root trust anchor are needed")
    ca = certificate.parse(command["path"][0])
    if not (ca["key_usage"] or 0) & KEY_CERT_SIGN or not certificate.signed_by(ca, root_public):
        raise Invalid("path", "the issuing CA's certificate does not verify under the Root")
    cells = {}
    for cert_der, _, role, usage, cell_usage in command["replacements"]:
        name = CELLS.get(usage)
        if role != SUPPLIER_ROLE or name is None or cell_usage != 0 or name in cells:
            raise Invalid("cell", "no supplier cell for role %d keyUsage 0x%02X use %d" % (role, usage, cell_usage))
        cert = certificate.parse(cert_der)
        if cert["key_usage"] != usage or cert["eui"] is None:
            raise Invalid("key_usage", "the certificate for %s has keyUsage %s" % (name, cert["key_usage"]))
        if not certificate.signed_by(cert, ca["public"]):
            raise Invalid("path", "the certificate for %s does not verify under the issuing CA" % name)
        cells[name] = {"eui": cert["eui"], "public": cert["public"], "ski": cert["ski"] or NO_SKI}
    return cells


def response(command, outcomes):
    """The CS02b response content: `outcomes` [(cell DER, prior EUI, prior SKI, new EUI, new SKI)], all replaced."""
    rows = b""
    for cell, prior_eui, prior_ski, new_eui, new_ski in outcomes:
        rows += der.sequence(cell, der.tlv(ENUMERATED, b"\x00"), der.octet_string(prior_eui),
                             der.octet_string(prior_ski), der.octet_string(new_eui), der.octet_string(new_ski))
    result = der.sequence(der.integer(command["seq"]), der.integer(command["mode"]),
                          der.tlv(der.SEQUENCE, command["floor"]), der.tlv(der.SEQUENCE, rows))
    return der.sequence(der.null(), result)
