# Meter-side UTRN rules: runs under CPython (pytest) and the MicroPython unix port.
# The known-answer MAC checks over utrn.json (which need the keystore) are in test_device_utrn_vectors.py.
import json

from fwtest import need_shared

from firmware import utrn
from firmware.crypto import ecdsa, p256

SUPPLIER = bytes.fromhex("90B3D51F30010000")
METER = bytes.fromhex("00DB1234567890A0")


def vectors():
    with open(need_shared("vectors", "utrn.json")) as f:
        return json.load(f)


def reason_of(fn, *args):
    try:
        fn(*args)
    except utrn.UtrnRejected as e:
        return e.reason
    return None


def with_check(d19):
    return d19 + str(utrn.check_digit(d19))


def make(z, ctr, cls, value, high_extra=0):
    high = (ctr << 15) | (cls << 13) | value | high_extra
    low = int.from_bytes(utrn.ptut_tag(z, SUPPLIER, METER, ctr << 32, high)[12:], "big")
    return with_check(str(((high << 32) | low) + utrn.PPTD_BASE))


def test_verhoeff_vectors():
    v = vectors()
    assert len(v["verhoeff_check_digit"]) >= 4
    for digits, expected in v["verhoeff_check_digit"]:
        assert utrn.check_digit(digits) == expected


def test_decode_generated_vectors():
    for g in vectors()["generate"]:
        tok = utrn.decode(g["utrn"])
        assert tok.counter10 << 32 == int(g["counter"], 16)
        assert tok.value == g["value"]
        assert tok.value_class == (utrn.POUNDS if g["value_class"] == "pounds" else utrn.PENNIES)
        assert str(((tok.high << 32) | tok.mac_low) + utrn.PPTD_BASE) == g["pptd"]


def test_format_check_digit_and_range_rejections():
    good = vectors()["generate"][0]["utrn"]
    assert reason_of(utrn.decode, good[:19]) == utrn.MALFORMED
    assert reason_of(utrn.decode, good[:19] + "x") == utrn.MALFORMED
    assert reason_of(utrn.decode, 20) == utrn.MALFORMED
    bad = good[:19] + str((int(good[19]) + 1) % 10)
    assert reason_of(utrn.decode, bad) == utrn.CHECK_DIGIT
    swapped = good[:5] + good[6] + good[5] + good[7:]
    if swapped != good:
        assert reason_of(utrn.decode, swapped) == utrn.CHECK_DIGIT
    assert reason_of(utrn.decode, with_check("1234567891012131415")) == utrn.OUT_OF_RANGE
    assert reason_of(utrn.decode, with_check(str(utrn.PPTD_BASE - 1))) == utrn.OUT_OF_RANGE
    assert reason_of(utrn.decode, with_check(str(utrn.PPTD_BASE + (1 << 57)))) == utrn.BAD_LEAD
    assert reason_of(utrn.decode, with_check(str(utrn.PPTD_BASE + (1 << 61)))) == utrn.BAD_LEAD
    assert reason_of(utrn.decode, with_check(str(utrn.PPTD_BASE + (3 << 45)))) == utrn.BAD_CLASS
    assert utrn.decode(good.encode()).value == vectors()["generate"][0]["value"]


def test_meter_accepts_once_and_enforces_credit_rules():
    s_priv, s_pub = ecdsa.generate_keypair()
    m_priv, m_pub = ecdsa.generate_keypair()
    z = p256.ecdh(s_priv, m_pub)
    meter = utrn.Meter(METER, m_priv, SUPPLIER, s_pub, 5000, 20000)
    first = make(z, 1, utrn.POUNDS, 10)
    tok = meter.accept(first, 0)
    assert tok.counter == 1 << 32 and tok.pennies() == 1000
    assert reason_of(meter.accept, first, 0) == utrn.REPLAY
    assert reason_of(meter.accept, make(z, 2, utrn.POUNDS, 51), 0) == utrn.MAX_TOPUP
    assert reason_of(meter.accept, make(z, 3, utrn.PENNIES, 5000), 15001) == utrn.CREDIT_LIMIT
    assert meter.accept(make(z, 3, utrn.PENNIES, 5000), 15000).counter == 3 << 32
    forged = make(z, 4, utrn.PENNIES, 100)
    forged = with_check(str(int(forged[:19]) ^ 1))
    assert reason_of(meter.accept, forged, 0) == utrn.MAC_INVALID
    other = utrn.Meter(METER, m_priv, SUPPLIER, ecdsa.generate_keypair()[1], 5000, 20000)
    assert reason_of(other.accept, make(z, 5, utrn.PENNIES, 1), 0) == utrn.MAC_INVALID


def test_counter_cache_window_and_wrap():
    s_priv, s_pub = ecdsa.generate_keypair()
    m_priv, m_pub = ecdsa.generate_keypair()
    z = p256.ecdh(s_priv, m_pub)
    meter = utrn.Meter(METER, m_priv, SUPPLIER, s_pub, 5000, 10 ** 9, cache_size=3)
    for c in (10, 11, 12, 13):
        meter.accept(make(z, c, utrn.PENNIES, 1), 0)
    assert meter.cache == [11 << 32, 12 << 32, 13 << 32]
    assert reason_of(meter.accept, make(z, 10, utrn.PENNIES, 1), 0) == utrn.REPLAY
    meter.last_counter = 1020 << 32
    tok = utrn.decode(make(z, 2, utrn.PENNIES, 1))
    assert meter.counter_of(tok) == (1 << 42) | (2 << 32)
