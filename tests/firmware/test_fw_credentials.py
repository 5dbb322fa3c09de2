# A change of supplier on the device (firmware/roles/credentials.py, firmware/gbcs/certificate.py, DeviceGbcs):
# CS02b supplierByTransCoS against RTDS 6.23, the certification path and keyUsage checks with certificates made
# here with the board's own crypto, and the ESME replacing its Supplier cells and voiding a pending activation.
# Runs under CPython (pytest) and the MicroPython unix port.
import binascii

from firmware.crypto import ecdsa
from firmware.gbcs import certificate, der, frame
from firmware.roles import credentials
from fwtest import need_shared
from test_fw_device_roles import _hex, role, run, unjoin_cmd, world
from test_fw_gbcs import SUPPLIER
from test_fw_hal import rmtree, tmpdir
from test_fw_ota import START_MS, body_hash, image, staged

H = bytes.fromhex
TRANSCOS = H("90B3D51F30000004")
GAINING = H("90B3D51F30030000")
ECDSA_SHA256 = der.tlv(0x06, H("2A8648CE3D040302"))
DS, KA, CA = 0x80, 0x08, 0x06  # keyUsage first octets: digitalSignature, keyAgreement, keyCertSign + cRLSign
FLOOR = H("301002010202010030083006020100020100")
KEYS = {}


def key(name):
    if name not in KEYS:
        KEYS[name] = ecdsa.generate_keypair()
    return KEYS[name]


def _bits(usage):
    unused = 0
    while not usage >> unused & 1:
        unused += 1
    return der.tlv(0x03, bytes([unused, usage]))


def cert(issuer_private, public, usage, eui=None):
    """A minimal P-256 certificate: subject x500UniqueIdentifier `eui` (if any), keyUsage, Subject Key Identifier."""
    name = der.sequence(der.tlv(0x31, der.sequence(der.tlv(0x06, H("55042D")), der.tlv(0x03, b"\x00" + eui)))) \
        if eui else der.sequence()
    spki = der.sequence(der.sequence(der.tlv(0x06, H("2A8648CE3D0201")), der.tlv(0x06, H("2A8648CE3D030107"))),
                        der.tlv(0x03, b"\x00" + public))
    extensions = der.tlv(0xA3, der.sequence(
        der.sequence(der.tlv(0x06, H("551D0F")), der.tlv(0x01, b"\xff"), der.octet_string(_bits(usage))),
        der.sequence(der.tlv(0x06, H("551D0E")), der.octet_string(der.octet_string(public[1:9])))))
    tbs = der.sequence(der.tlv(0xA0, der.integer(2)), der.integer(1), der.sequence(ECDSA_SHA256), der.sequence(),
                       der.sequence(), name, spki, extensions)
    sig = ecdsa.sign(issuer_private, tbs)
    value = der.sequence(der.integer(int.from_bytes(sig[:32], "big")), der.integer(int.from_bytes(sig[32:], "big")))
    return der.sequence(tbs, der.sequence(ECDSA_SHA256), der.tlv(0x03, b"\x00" + value))


def cos(replacements, path, mode=7, at=None):
    """CS02b content: `replacements` [(certificate, cell keyUsage)], `path` [certificate]."""
    control = der.sequence(der.integer(mode), der.tlv(0xA2, der.integer(5) + _bits(DS)),
                           der.tlv(0x83, b"\x17\x71"), der.tlv(0xA6, FLOOR))
    cells = [der.sequence(c, der.sequence(der.integer(2), _bits(usage))) for c, usage in replacements]
    tail = [der.generalized_time(2030, 1, 1, 0, 0, 0)] if at else []
    return der.sequence(control, der.sequence(*cells), der.sequence(*path), *tail)


def chain():
    """(root public, issuing CA certificate, gaining supplier's DS and KA certificates)."""
    root, ca = key("root"), key("ca")
    ca_cert = cert(root[0], ca[1], CA)
    return root[1], ca_cert, cert(ca[0], key("ds")[1], DS, GAINING), cert(ca[0], key("ka")[1], KA, GAINING)


def canonical(data):
    """`data` with every length re-encoded in its shortest form."""
    out = b""
    for tag, value in der.elements(data):
        out += der.tlv(tag, canonical(value) if tag & 0x20 else value)
    return out


def reason(content, root_public):
    try:
        credentials.validate(credentials.parse(content), root_public)
    except credentials.Invalid as e:
        return e.reason
    return "ok"


def test_rtds_change_of_supplier_parses_verifies_and_its_response_rebuilds():
    folder = need_shared("rtds", "RTDS-4.5.0", "6.23_CS02bSupplierByTransCoS")

    def read(kind):
        f = open(folder + "/CS02bSupplierByTransCoS_6.23_IMMEDIATE_SUCCESS_%s_GBCS.HEX" % kind)
        try:
            return frame.parse(binascii.unhexlify("".join(f.read().split())))
        finally:
            f.close()

    command = credentials.parse(read("COMMAND").content)
    assert (command["mode"], command["authoriser"], command["seq"], command["at"]) == (7, (5, DS), 0x1771, None)
    assert [r[2:] for r in command["replacements"]] == [(2, DS, 0), (2, KA, 0), (2, KA, 1)]
    ca = certificate.parse(command["path"][0])
    certs = [certificate.parse(r[0]) for r in command["replacements"]]
    assert [(c["eui"], c["key_usage"]) for c in certs] == [(GAINING, DS), (GAINING, KA), (GAINING, KA)]
    assert all(certificate.signed_by(c, ca["public"]) for c in certs)
    tampered = bytearray(command["replacements"][0][0])
    tampered[200] ^= 0x01
    assert not certificate.signed_by(certificate.parse(bytes(tampered)), ca["public"])
    prior = (H("44899792D196F4B8"), H("405B8C62687D8F70"), H("41FB49221588C570"))
    outcomes = [(r[1], H("90B3D51F30010000"), p, c["eui"], c["ski"])
                for r, p, c in zip(command["replacements"], prior, certs)]
    assert credentials.response(command, outcomes) == canonical(read("RESPONSE").content)  # RTDS: 82 00 CA lengths


def test_validate_takes_a_valid_path_and_matching_key_usages_only():
    root, ca, ds, ka = chain()
    cells = credentials.validate(credentials.parse(cos([(ds, DS), (ka, KA)], [ca])), root)
    assert cells["supplier_ds"]["eui"] == GAINING and cells["supplier_ds"]["public"] == key("ds")[1]
    assert cells["supplier_ka"]["public"] == key("ka")[1]
    assert reason(cos([(ds, DS), (ka, KA)], [ca]), key("other")[1]) == "path"       # another Root
    assert reason(cos([(ds, KA)], [ca]), root) == "key_usage"                        # DS certificate, KA cell
    assert reason(cos([(ds, DS)], [cert(key("root")[0], key("ca")[1], DS)]), root) == "path"  # CA may not sign
    assert reason(cos([(cert(key("root")[0], key("ds")[1], DS, GAINING), DS)], [ca]), root) == "path"
    assert reason(cos([(ds, DS)], [ca], mode=2), root) == "not_cos"
    assert reason(cos([(ds, DS)], [ca], at=True), root) == "future_dated_unsupported"
    for bad in (b"\x30\x00", cos([(ds, DS)], [ca])[:-3], b"\x30\x03\x30\x01\x00"):
        try:
            credentials.parse(bad)
        except ValueError:
            pass
        else:
            raise AssertionError("parsed a malformed CS02b")


def test_esme_change_of_supplier_replaces_its_supplier_cells_and_voids_a_pending_activation():
    w = world()
    root_key, ca, ds, ka = chain()
    transcos = key("transcos")
    root, ota_root = tmpdir(), tmpdir()
    try:
        data = image("good")
        ota = staged(ota_root, data)
        assert ota.activate(body_hash(data), START_MS + 3600000, 1000) == ("stored", None)
        esme, _ = role("esme", root)
        config = esme.hal.config["gbcs"]
        config.update({"supplier": _hex(SUPPLIER), "transitional_cos": _hex(TRANSCOS), "root": _hex(root_key)})
        config["parties"][_hex(TRANSCOS)] = {"ds": _hex(transcos[1]), "ka": None}
        esme.hal.ota_client = lambda: ota
        esme.setup()

        def cs02b(counter, content, signer=TRANSCOS, ds_private=transcos[0], signed=True):
            return run(esme, w.command(counter, credentials.CS02B_COS, content, signed, signer, ds_private))

        good = cos([(ds, DS), (ka, KA)], [ca])
        assert cs02b(20, good, signed=False)["rejected"] == "signature_missing"
        assert cs02b(21, good, SUPPLIER, w.sup_ds)["rejected"] == "not_transcos"
        assert cs02b(22, cos([(ds, DS), (ka, KA)], [cert(key("other")[0], key("ca")[1], CA)]))["rejected"] \
            == "credentials_path"
        assert ota.store.meta["pending"] is not None and run(esme, unjoin_cmd(23))["rejected"] is None

        answer = cs02b(24, good)
        assert answer["rejected"] is None, answer
        assert ota.store.meta["pending"] is None, "the pending activation survived the change of supplier"
        assert run(esme, unjoin_cmd(25))["rejected"] == "unknown_originator"  # the losing supplier's signature
        assert sorted(esme.state["cells"]) == ["supplier_ds", "supplier_ka"]
        assert esme.state["cells"]["supplier_ds"][0] == _hex(GAINING)
        assert esme.supplier_cell_parties() == [GAINING]
    finally:
        rmtree(root)
        rmtree(ota_root)
