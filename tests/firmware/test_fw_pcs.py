# PCS01 between a PPMID board and a GSME board (firmware/roles/ppmid.py, firmware/gbcs/device.py, firmware/roles/
# device_gbcs.py): each learns the other's KA key from the certificate its CS03C carries, the PPMID builds the whole
# PCS01 (its own counter, MAC'd PPMID KA x GSME KA), the GSME checks that MAC and credits once, and the PPMID checks
# and shows the GSME's response. Under CPython and MicroPython.
import binascii

from firmware import roles
from firmware.crypto import ecdsa
from firmware.gbcs import der, frame
from firmware.hal import Hal
from firmware.roles.device_gbcs import CS03C, ka_of_certificate
from test_fw_hal import recorder, rmtree, tmpdir
from test_fw_meter_roles import PPMID, T0, meter, utrn_text
from test_fw_utrn import METER

_PPMID_KEYS = []


def cert(public):
    """A certificate-shaped SEQUENCE holding `public` as a P-256 SubjectPublicKeyInfo does (what the board reads)."""
    spki = der.sequence(der.sequence(der.tlv(0x06, binascii.unhexlify("2a8648ce3d0201")),
                                     der.tlv(0x06, binascii.unhexlify("2a8648ce3d030107"))),
                        der.tlv(0x03, b"\x00" + public))
    return der.sequence(der.sequence(der.integer(2), spki), der.tlv(0x03, b"\x00" + b"\x11" * 8))


class Cs03c:
    """The parts of a checked CS03C a join handler reads."""

    def __init__(self, other, other_type, public):
        self.message_code = CS03C
        self.content = der.sequence(der.integer(1), der.octet_string(other), der.integer(other_type), cert(public))


def ppmid(root):
    if not _PPMID_KEYS:
        _PPMID_KEYS.append(ecdsa.generate_keypair())
    private, public = _PPMID_KEYS[0]
    events, emit = recorder()
    hal = Hal(emit, root, {"gbcs": {"eui": PPMID, "ka_private": binascii.hexlify(private).decode(),
                                    "ds_private": "22" * 32, "acb": "90B3D51F30000002", "parties": {}}})
    hal.clock.set(T0)
    return roles.load("ppmid", hal), events, public


def paired(root):
    """A GSME and a PPMID each joined to the other by a CS03C carrying the other's KA certificate."""
    import os

    os.mkdir(root + "/g")
    os.mkdir(root + "/p")
    g, g_events = meter(root + "/g", "gsme")
    p, p_events, p_public = ppmid(root + "/p")
    from firmware.crypto import p256

    g_public = p256.public_key(g.gbcs.ka_private)
    g.join(Cs03c(binascii.unhexlify(PPMID), 5, p_public))
    p.join(Cs03c(METER, 0, g_public))
    return g, p, p_events


def typed(p, events, text):
    """The consumer selects the gas meter and types `text`: the PCS01 the PPMID sends (bytes)."""
    if p.state["target"] != "gsme":
        p.hal.keypad.press("C")
    p.hal.keypad.press(text + "#")
    return binascii.unhexlify([d for n, d in events if n == "han.send"][-1]["hex"])


def test_the_key_is_read_from_the_certificate_a_join_carries():
    _, public = ecdsa.generate_keypair()
    assert ka_of_certificate(der.read(cert(public))[1]) == public
    assert ka_of_certificate(b"\x30\x03\x02\x01\x01") is None
    assert ka_of_certificate(b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07\x03\x42\x00\x04\x01") is None  # truncated


def test_pcs01_from_the_ppmid_credits_the_gsme_once_and_the_ppmid_shows_the_answer():
    root = tmpdir()
    try:
        g, p, events = paired(root)
        utrn = utrn_text(1, 5)
        pcs01 = typed(p, events, utrn)
        msg = frame.parse(pcs01)
        assert (msg.message_code, msg.originator, msg.recipient, msg.counter_int()) == \
            (0x009B, binascii.unhexlify(PPMID), METER, 1)
        answer = g.methods()["gbcs.command"]({"hex": binascii.hexlify(pcs01).decode()})
        assert answer["rejected"] is None and g.account.s["balance"] == 500
        p.methods()["gbcs.command"]({"hex": answer["response"]})
        assert p.hal.display.text == "GAS TOP UP ACCEPTED +5.00"
        # the same UTRN again (a fresh PCS01 counter): a duplicate, credited once
        again = g.methods()["gbcs.command"]({"hex": binascii.hexlify(typed(p, events, utrn)).decode()})
        assert frame.parse(binascii.unhexlify(again["response"])).counter_int() == 2
        p.methods()["gbcs.command"]({"hex": again["response"]})
        assert p.hal.display.text == "GAS TOP UP DUPLICATE" and g.account.s["balance"] == 500
        # a response the GSME did not MAC is refused by the PPMID, which shows nothing of it
        forged = answer["response"][:-2] + ("00" if answer["response"][-2:] != "00" else "01")
        assert p.methods()["gbcs.command"]({"hex": forged})["rejected"] == "mac_invalid"
        assert p.hal.display.text == "GAS TOP UP DUPLICATE"
    finally:
        rmtree(root)


def test_pcs01_with_a_bad_mac_is_refused_unless_the_gsme_is_defective():
    root = tmpdir()
    try:
        g, p, events = paired(root)
        p.methods()["stim.bad_mac"]({})
        forged = binascii.hexlify(typed(p, events, utrn_text(1, 5))).decode()
        answer = g.methods()["gbcs.command"]({"hex": forged})
        assert answer == {"response": None, "rejected": "mac_invalid", "detail": ""}
        assert g.account.s["balance"] == 0
        # positive control: the next PCS01 (the stimulus spent) is authentic and credited
        good = g.methods()["gbcs.command"]({"hex": binascii.hexlify(typed(p, events, utrn_text(1, 5))).decode()})
        assert good["rejected"] is None and g.account.s["balance"] == 500
        g.hal.config["defects"] = ["pcs_mac_unchecked"]
        p.methods()["stim.bad_mac"]({})
        taken = g.methods()["gbcs.command"]({"hex": binascii.hexlify(typed(p, events, utrn_text(2, 5))).decode()})
        assert taken["rejected"] is None and g.account.s["balance"] == 1000
    finally:
        rmtree(root)


def test_an_unjoined_ppmid_is_no_longer_a_party():
    root = tmpdir()
    try:
        g, p, events = paired(root)
        g.unjoin(type("Cs04", (), {"content": der.octet_string(binascii.unhexlify(PPMID))})())
        answer = g.methods()["gbcs.command"]({"hex": binascii.hexlify(typed(p, events, utrn_text(1, 5))).decode()})
        assert answer["rejected"] == "unknown_originator" and g.account.s["balance"] == 0
    finally:
        rmtree(root)


def selected(p, events):
    """The consumer selects the gas meter and emergency credit: the PCS02 the PPMID sends (hex)."""
    if p.state["target"] != "gsme":
        p.hal.keypad.press("C")
    p.hal.keypad.press("A")
    return [d for n, d in events if n == "han.send"][-1]["hex"]


def test_pcs02_gives_emergency_credit_unless_a_privacy_pin_is_set():
    root = tmpdir()
    try:
        g, p, events = paired(root)
        g.hal.keypad.press("1357D")  # the consumer sets a Privacy PIN on the meter
        refused = g.methods()["gbcs.command"]({"hex": selected(p, events)})
        p.methods()["gbcs.command"]({"hex": refused["response"]})
        assert p.hal.display.text == "GAS EC REFUSED" and not g.account.s["ec_in_use"]
        g.set_privacy_pin(None)
        g.hal.config["defects"] = ["ppmid_ec_ignored"]
        ignored = g.methods()["gbcs.command"]({"hex": selected(p, events)})
        assert ignored["rejected"] is None and not g.account.s["ec_in_use"]
        g.hal.config["defects"] = []
        given = g.methods()["gbcs.command"]({"hex": selected(p, events)})
        p.methods()["gbcs.command"]({"hex": given["response"]})
        assert p.hal.display.text == "GAS EC ACCEPTED" and g.account.s["ec_in_use"]
    finally:
        rmtree(root)
