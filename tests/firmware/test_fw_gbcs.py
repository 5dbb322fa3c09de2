# Device-side GBCS framing, checks, responses, alerts and payload helpers with generated keys.
# Runs under CPython (pytest) and the MicroPython unix port. RTDS checks: test_device_gbcs_rtds.py.
from firmware.crypto import ecdsa, gcm
from firmware.gbcs import ber, der, device, dlms, frame, gbz, protect, security
from firmware.gbcs.device import Device, Party
from firmware.gbcs.errors import ParseError, Rejected

H = bytes.fromhex
ACB = H("90B3D51F30000002")
SUPPLIER = H("90B3D51F30010000")
DEV = H("00DB1234567890A1")
CTR = H("00000000000003E8")


def fails(fn, *args):
    try:
        fn(*args)
    except ParseError as e:
        return e.field
    raise AssertionError("no ParseError")


def reason(dev, data):
    try:
        dev.check_command(data)
    except Rejected as e:
        return e.reason
    return "ok"


def test_ber_lengths():
    for n, enc in ((0x7F, "7F"), (0x80, "8180"), (0xA5, "81A5"), (0x4F4, "8204F4"), (0x10000, "83010000")):
        assert ber.encode_length(n) == H(enc)
        assert ber.read_length(H(enc) + bytes(n), 0) == (n, len(H(enc)))
    assert fails(ber.read_length, H("8205") + bytes(4), 0) == "length"
    assert fails(ber.read_length, H("84000000"), 0) == "length"


def test_other_info_variants():
    cert = der.sequence(der.octet_string(bytes(20)))
    for extra, want in ((b"", 2), (bytes(8), 10), (bytes(16), 18), (bytes(24), 26), (bytes(16) + cert, 18 + len(cert))):
        info = H("0015") + extra
        raw = frame.build_signing(1, CTR, SUPPLIER, DEV, info, H("0109")) + b"\x00"
        m = frame.parse(raw)
        assert len(m.other_info) == want and m.message_code == 0x15
        assert (m.supp_id is not None) == (want > 2)
        assert (m.supp_counter is not None) == (want >= 18)
        assert (m.supp_orig_counter is not None) == (want == 26)
        assert (m.supp_cert is not None) == (want > 26)
        assert m.signature == b"" and m.signed_bytes() == raw[1:-1]
    assert fails(frame.parse, frame.build_signing(1, CTR, SUPPLIER, DEV, bytes(5), b"")) == "other_information"


def test_frame_rejects_malformed_fields():
    gs = frame.build_signing(1, CTR, SUPPLIER, DEV, H("0015"), H("0109")) + b"\x00"
    good = frame.mac_wrap(gs, bytes(12))
    assert frame.parse(good).mac == bytes(12)
    assert fails(frame.parse, b"") == "message"
    assert fails(frame.parse, b"\x30" + good[1:]) == "message"
    assert fails(frame.parse, good[:-1]) == "ciphered_length"
    bad = bytearray(good)
    bad[9] = 1
    assert fails(frame.parse, bytes(bad)) == "invocation_counter"
    bad = bytearray(good)
    bad[8] = 0x31
    assert fails(frame.parse, bytes(bad)) == "security_control"
    bad = bytearray(gs)
    bad[2] = 7
    assert fails(frame.parse, bytes(bad)) == "cra_flag"
    assert fails(frame.parse, gs[:-1] + b"\x05" + bytes(5)) == "signature"
    assert fails(frame.parse, gs[:12]) == "originator_system_title"
    assert fails(frame.parse, gs + b"\x00") == "grouping_header"


class World:
    def __init__(self):
        self.acb_ka, self.acb_ka_pub = ecdsa.generate_keypair()
        self.sup_ds, self.sup_ds_pub = ecdsa.generate_keypair()
        self.sup_ka, self.sup_ka_pub = ecdsa.generate_keypair()
        self.dev_ka, self.dev_ka_pub = ecdsa.generate_keypair()
        self.dev_ds, self.dev_ds_pub = ecdsa.generate_keypair()

    def device(self):
        parties = {ACB: Party(None, self.acb_ka_pub), SUPPLIER: Party(self.sup_ds_pub, self.sup_ka_pub)}
        return Device(DEV, self.dev_ka, self.dev_ds, ACB, parties, critical_codes=(0x12,))

    def command(self, counter, code, content, signed, originator=SUPPLIER, ds_private=None):
        """A command from `originator` (the supplier unless told), signed with its DS key (`ds_private`, the
        supplier's unless told) when `signed`, MAC'd by the ACB."""
        from firmware.crypto import p256

        ctr = counter.to_bytes(8, "big")
        unsigned = frame.build_signing(1, ctr, originator, DEV, frame.build_other_info(code), content)
        sig = security.sign(ds_private or self.sup_ds, unsigned) if signed else None
        gs = unsigned + frame.signature_field(sig)
        key = security.mac_key(p256.ecdh(self.acb_ka, self.dev_ka_pub), originator, 1, ctr, DEV)
        return frame.mac_wrap(gs, security.compute_mac(key, originator, gs))


def test_device_checks_in_order():
    w = World()
    dev = w.device()
    cmd = w.command(1000, 0x15, H("0109010107090004010001 03".replace(" ", "")), False)
    assert reason(dev, cmd) == "ok"
    assert reason(dev, cmd) == device.REPLAY
    crit = w.command(1001, 0x12, der.null(), True)
    assert reason(dev, crit) == "ok"
    assert reason(dev, w.command(1002, 0x12, der.null(), False)) == device.SIGNATURE_MISSING
    bad = bytearray(w.command(1003, 0x15, H("0109"), False))
    bad[-3] ^= 4
    assert reason(dev, bytes(bad)) == device.MAC_INVALID
    assert dev.counters[SUPPLIER] == 1001
    other = World()
    assert reason(dev, other.command(1004, 0x12, der.null(), True)) == device.MAC_INVALID
    stranger = Device(DEV, w.dev_ka, w.dev_ds, ACB, {ACB: Party(None, w.acb_ka_pub),
                                                       SUPPLIER: Party(other.sup_ds_pub, None)})
    assert reason(stranger, w.command(1005, 0x12, der.null(), True)) == device.SIGNATURE_INVALID
    assert reason(Device(H("00DB1234567890A2"), w.dev_ka, None, ACB, {}), cmd) == device.WRONG_RECIPIENT
    assert reason(Device(DEV, w.dev_ka, None, ACB, {}), cmd) == device.UNKNOWN_ORIGINATOR
    assert reason(dev, cmd[:-20]) == device.MALFORMED
    precommand = frame.build_signing(1, (2000).to_bytes(8, "big"), SUPPLIER, DEV, H("0015"), H("0109"))
    assert reason(dev, precommand) == device.NOT_A_COMMAND


def test_responses_and_alerts():
    from firmware.crypto import p256

    w = World()
    dev = w.device()
    cmd = dev.check_command(w.command(7, 0x15, H("0109"), False))
    resp = frame.parse(dev.build_response(cmd, H("01090101070900040900 0208".replace(" ", ""))))
    assert resp.cra == 2 and resp.counter == cmd.counter and resp.originator == DEV and resp.recipient == SUPPLIER
    assert resp.signature == b"" and resp.other_info == cmd.other_info
    assert security.mac_valid(p256.ecdh(w.sup_ka, w.dev_ka_pub), resp)
    signed = frame.parse(dev.build_response(cmd, der.null(), critical=True))
    assert signed.mac is None and security.signature_valid(w.dev_ds_pub, signed)
    a1 = frame.parse(dev.build_alert(SUPPLIER, 0x1001, H("0109"), date_time=bytes(12)))
    a2 = frame.parse(dev.build_alert(SUPPLIER, 0x1000, H("0109"), critical=True))
    assert a1.cra == 3 and a1.counter_int() == 1 and a2.counter_int() == 2 and a1.date_time == bytes(12)
    assert security.mac_valid(p256.ecdh(w.sup_ka, w.dev_ka_pub), a1)
    assert security.signature_valid(w.dev_ds_pub, a2) and a2.mac is None
    urp = frame.Message(b"")
    urp.other_info = H("0015") + bytes(16) + bytes(30)
    urp.supp_cert = bytes(30)
    assert dev.response_other_info(urp, bytes(8)) == H("0015") + bytes(24)


def test_protect_seal_and_open():
    key = bytes(range(16))
    block = protect.seal(key, DEV, b"secret reading")
    assert block[:5] == protect.HEADER and len(block) == 5 + 14 + 12
    assert protect.open_block(key, DEV, block) == b"secret reading"
    bad = bytearray(block)
    bad[6] ^= 1
    try:
        protect.open_block(key, DEV, bytes(bad))
        raise AssertionError("tampered block opened")
    except gcm.AuthenticationFailed:
        pass
    assert fails(protect.open_block, key, DEV, b"\x11" + block[1:]) == "security_header"
    k1 = protect.content_key(bytes(32), DEV, CTR, SUPPLIER)
    assert k1 != security.mac_key(bytes(32), DEV, 2, CTR, SUPPLIER)


def test_der_helpers():
    body = der.sequence(der.octet_string(bytes(32)), der.integer(0x3E8), der.generalized_time(2030, 1, 15, 9, 0, 0))
    (tag, value), = der.elements(body)
    assert tag == der.SEQUENCE
    h, off = der.expect(value, 0, der.OCTET_STRING, "hash")
    c, off = der.expect(value, off, der.INTEGER, "counter")
    t, off = der.expect(value, off, der.GENERALIZED_TIME, "time")
    assert h == bytes(32) and der.decode_integer(c) == 1000 and der.decode_time(t) == (2030, 1, 15, 9, 0, 0)
    for n in (0, 127, 128, -1, -129, 1 << 70):
        assert der.decode_integer(der.elements(der.integer(n))[0][1]) == n
    assert der.integer(128) == H("02020080")
    assert fails(der.expect, der.null(), 0, der.INTEGER, "status") == "status"
    assert fails(der.decode_time, b"2030011509000Z") == "generalized_time"
    assert fails(der.decode_time, b"20301315090000Z") == "generalized_time"
    assert fails(der.elements, H("3005020101")) == "der_length"


def test_dlms_helpers():
    utrn = b"73946144332040217315"
    inv = dlms.invoke_id(H("0000000300000000"))
    assert inv == 0x20000000
    spec = (dlms.ACTION, 0x73, H("0000132800FF"), 1, None)
    req = dlms.build_access_request(inv, [spec], [(dlms.OCTET_STRING, utrn)])
    assert req == H("D92000000000010300730000132800FF010109") + b"\x14" + utrn
    r = dlms.parse_access_request(req)
    assert r.specs == [spec] and r.data == [(dlms.OCTET_STRING, utrn)] and r.date_time == b""
    resp = dlms.build_access_response(inv, [(dlms.NULL, None)], [(dlms.ACTION, 0)])
    assert resp == H("DA200000000000010001 0300".replace(" ", ""))
    assert dlms.parse_access_response(resp) == (inv, b"", [(dlms.NULL, None)], [(dlms.ACTION, 0)])
    alert = (dlms.STRUCTURE, [(0x12, 0x8F12), (dlms.OCTET_STRING, bytes(12)), (0x10, -2)])
    note = dlms.build_data_notification(0x20000FA0, alert)
    assert dlms.parse_data_notification(note) == (0x20000FA0, b"", alert)
    assert fails(dlms.parse_data_notification, note[:-1]) == "dlms_data"
    assert fails(dlms.decode_data, b"\x02\x01" * 20) == "dlms_data"
    assert fails(dlms.parse_access_request, H("D9200000000001 0900".replace(" ", ""))) == "access_request_spec"


def test_gbz_helpers():
    plain = gbz.Component(0x0709, 0x01, 0x00, 0x01, H("03"))
    timed = gbz.Component(0x0705, 0x01, 0x00, 0x06, H("0000"), from_time=0x804A371C)
    sealed = gbz.Component(0x0702, 0x18, 0x00, 0x01, protect.seal(bytes(16), DEV, b"x"), encrypted=True)
    raw = gbz.build(gbz.Gbz([plain, timed, sealed]))
    back = gbz.parse(raw)
    assert [c.cluster for c in back.components] == [0x0709, 0x0705, 0x0702]
    assert back.components[1].from_time == 0x804A371C and back.components[2].encrypted
    assert gbz.build(back) == raw
    assert raw[:9] == H("0109030007090004010001")[:9]
    alert = gbz.build(gbz.Gbz([plain], alert_code=0x8F1C, timestamp=0x38818890))
    assert gbz.parse(alert, alert=True).alert_code == 0x8F1C
    fd = gbz.Gbz([], 0x8F66, 0x38818890, (0x6C, bytes(8), H("070501")))
    assert gbz.parse(gbz.build(fd), alert=True).future_dated == (0x6C, bytes(8), H("070501"))
    assert fails(gbz.parse, H("0109") + raw[2:-1]) == "gbz_command"
    assert fails(gbz.parse, H("0108") + raw[2:]) == "gbz_profile"
    bad = bytearray(raw)
    bad[3] = 0x01  # first component marked last
    assert fails(gbz.parse, bytes(bad)) == "gbz_control"


def test_mac_check_is_skipped_only_when_asked():
    w = World()
    dev = w.device()
    bad = bytearray(w.command(1000, 0x15, H("0109"), False))
    bad[-1] ^= 1
    assert reason(dev, bytes(bad)) == device.MAC_INVALID
    assert dev.check_command(bytes(bad), verify_mac=False).counter_int() == 1000
