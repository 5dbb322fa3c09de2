# The HAN device roles (ESME, GSME, GPF, PPMID) check GBCS on the board with their own crypto, run the command and
# answer: set clock (ECS70 / GCS28), device-log joins and unjoins, GCS62 from the GPF, logs, counters on flash.
# Runs under CPython (pytest) and the MicroPython unix port.
import binascii

from firmware import roles
from firmware.gbcs import der, dlms, frame, security
from firmware.hal import Hal
from firmware.roles import device_gbcs, set_clock
from test_fw_gbcs import ACB, DEV, SUPPLIER, World
from test_fw_hal import recorder, rmtree, tmpdir

PPMID = bytes.fromhex("00DB1234567890A4")
NOW = 1420070400000  # 2015-01-01 00:00:00 UTC
WORLD = []


def world():
    if not WORLD:
        WORLD.append(World())
    return WORLD[0]


def _hex(b):
    return binascii.hexlify(b).decode().upper()


def role(name, root, defects=(), ota=False):
    w = world()
    gbcs = {"eui": _hex(DEV), "ka_private": _hex(w.dev_ka), "ds_private": _hex(w.dev_ds), "acb": _hex(ACB),
            "parties": {_hex(ACB): {"ds": None, "ka": _hex(w.acb_ka_pub)},
                        _hex(SUPPLIER): {"ds": _hex(w.sup_ds_pub), "ka": _hex(w.sup_ka_pub)}},
            "critical_codes": [set_clock.ECS70, set_clock.GCS28, device_gbcs.CS04AC]}
    events, emit = recorder()
    hal = Hal(emit, root, {"role": name, "gbcs": gbcs, "defects": list(defects)})
    hal.clock.set(NOW)
    if ota:  # the board's OTA client, as the app provides it
        from firmware.fwstore import FirmwareStore
        from firmware.ota_client import OtaClient

        client = OtaClient(hal, None, FirmwareStore(hal.flash, root, "0.1.0"))
        hal.ota_client = lambda: client
    return roles.load(name, hal), events


def run(r, data):
    return r.methods()["gbcs.command"]({"hex": _hex(data)})


def join_cmd(counter, code=device_gbcs.CS03A1, other=PPMID):
    content = der.sequence(der.integer(1), der.octet_string(other), der.integer(5))
    return world().command(counter, code, content, False)


def unjoin_cmd(counter, other=PPMID, signed=True):
    return world().command(counter, device_gbcs.CS04AC, der.octet_string(other), signed)


def response(answer):
    assert answer["rejected"] is None, answer
    return frame.parse(binascii.unhexlify(answer["response"]))


def test_esme_set_clock_inside_and_outside_the_window():
    root = tmpdir()
    try:
        esme, _ = role("esme", root)
        window = (dlms.STRUCTURE, [(dlms.OCTET_STRING, b"\xff" * 9 + b"\x80\x00\xff"),
                                   (dlms.OCTET_STRING, bytes.fromhex("07DE0C1FFF173B0A008000FF")),
                                   (dlms.OCTET_STRING, bytes.fromhex("07DF0101FF00000A008000FF"))])
        clock = (8, set_clock.CLOCK_OBIS)
        specs = [(dlms.SET, clock[0], clock[1], 9, None), (dlms.ACTION, clock[0], clock[1], 5, None),
                 (dlms.ACTION, clock[0], clock[1], 4, None), (dlms.GET, clock[0], clock[1], 2, None),
                 (dlms.GET, clock[0], clock[1], 4, None)]
        data = [(dlms.ENUM, 5), window, (0x0F, 0), (dlms.NULL, None), (dlms.NULL, None)]
        content = dlms.build_access_request(0x200003E8, specs, data)
        rsp = response(run(esme, world().command(1000, set_clock.ECS70, content, True)))
        # critical command: the response is signed with the meter's DS key and carries no MAC
        assert rsp.mac is None and security.signature_valid(world().dev_ds_pub, rsp)
        _, _, values, results = dlms.parse_access_response(rsp.content)
        assert [c for _, c in results] == [0, 0, 0, 0, 0]
        assert values[3] == (dlms.OCTET_STRING, bytes.fromhex("07DF0101FF000000008000FF"))
        esme.hal.clock.set(NOW + 3600 * 1000)  # an hour later: outside the window
        rsp = response(run(esme, world().command(1001, set_clock.ECS70, content, True)))
        assert [c for _, c in dlms.parse_access_response(rsp.content)[3]] == [0, 0, 0, 1, 250]
    finally:
        rmtree(root)


def test_gsme_set_clock_answers_its_time_and_window_status():
    root = tmpdir()
    try:
        gsme, _ = role("gsme", root)
        inside = der.sequence(der.generalized_time(2014, 12, 31, 23, 30, 0), der.generalized_time(2015, 1, 1, 0, 30, 0))
        rsp = response(run(gsme, world().command(1000, set_clock.GCS28, inside, True)))
        assert rsp.content == der.sequence(der.generalized_time(2015, 1, 1, 0, 0, 0), der.integer(0))
        later = der.sequence(der.generalized_time(2015, 1, 1, 1, 0, 0), der.generalized_time(2015, 1, 1, 2, 0, 0))
        rsp = response(run(gsme, world().command(1001, set_clock.GCS28, later, True)))
        assert rsp.content == der.sequence(der.generalized_time(2015, 1, 1, 0, 0, 0), der.integer(2))
    finally:
        rmtree(root)


def test_join_unjoin_and_the_negatives_of_a_critical_unjoin():
    root = tmpdir()
    try:
        esme, _ = role("esme", root)
        assert response(run(esme, join_cmd(10))).content == der.integer(0)
        assert esme.methods()["devlog.get"]({})["log"] == [{"eui": _hex(PPMID), "type": 5}]
        # negatives: unsigned critical command, corrupted MAC, replayed counter -- refused, nothing executed
        assert run(esme, unjoin_cmd(11, signed=False))["rejected"] == "signature_missing"
        good = unjoin_cmd(12)
        bad_mac = good[:-1] + bytes([good[-1] ^ 1])
        assert run(esme, bad_mac)["rejected"] == "mac_invalid"
        assert esme.methods()["devlog.get"]({})["log"], "a refused unjoin took effect"
        assert response(run(esme, good)).content == der.integer(0)
        assert esme.methods()["devlog.get"]({})["log"] == []
        assert run(esme, good)["rejected"] == "counter_not_greater"
        # the counter survives a power cycle (flash)
        again, _ = role("esme", root)
        assert run(again, good)["rejected"] == "counter_not_greater"
        reasons = [entry[1] for entry in again.state["security"]]
        assert reasons == ["signature_missing", "mac_invalid", "counter_not_greater", "counter_not_greater"]
        assert response(run(again, unjoin_cmd(13))).content == der.integer(device_gbcs.NOT_IN_LOG)
    finally:
        rmtree(root)


def test_defects_break_the_rules_they_name():
    root = tmpdir()
    try:
        esme, _ = role("esme", root, ("skip_krp_check",))
        run(esme, join_cmd(10))
        assert response(run(esme, unjoin_cmd(11, signed=False))).content == der.integer(0)
        rmtree(root)
        root = tmpdir()
        esme, _ = role("esme", root, ("execute_before_verify",))
        run(esme, join_cmd(10))
        assert run(esme, unjoin_cmd(11, signed=False))["rejected"] == "signature_missing"
        assert esme.methods()["devlog.get"]({})["log"] == [], "the defect did not run the refused command"
        rmtree(root)
        root = tmpdir()
        esme, _ = role("esme", root, ("unsigned_response",))
        run(esme, join_cmd(10))
        rsp = response(run(esme, unjoin_cmd(11)))
        assert rsp.mac is not None and not rsp.signature
    finally:
        rmtree(root)


def test_gpf_backs_up_its_log_with_gcs62():
    root = tmpdir()
    try:
        gpf, events = role("gpf", root)
        assert response(run(gpf, join_cmd(10, device_gbcs.CS03B))).content == der.integer(0)
        [alert] = [d for n, d in events if n == "alert"]
        msg = frame.parse(binascii.unhexlify(alert["hex"]))
        assert msg.cra == frame.CRA_ALERT and msg.message_code == 0x00B2 and msg.recipient == ACB
        tag, body, _ = der.read(msg.content)
        code, _, log = der.elements(body)
        assert der.decode_integer(code[1]) == 0x8071
        assert log[1] == der.sequence(der.octet_string(PPMID), der.integer(5))
    finally:
        rmtree(root)


def test_chf_relays_only_to_devices_in_its_log_and_logs_each_decision():
    root = tmpdir()
    try:
        chf, _ = role("chf", root)
        chf.state["log"].append({"eui": _hex(PPMID), "type": 5, "ic": "00" * 16, "joined": True})
        check = chf.methods()["relay.check"]
        assert check({"eui": _hex(PPMID), "code": 0x000F}) == {"relay": True, "type": 5}
        assert check({"eui": "00DB1234567890FF", "code": 0x000F}) == {"relay": False, "type": None}
        assert [entry[1:] for entry in chf.state["relayed"]] == [[_hex(PPMID), 0x000F, True],
                                                                ["00DB1234567890FF", 0x000F, False]]
    finally:
        rmtree(root)


def test_meters_report_their_join_to_their_supplier():
    root = tmpdir()
    try:
        esme, events = role("esme", root)
        esme.hal.config["gbcs"]["supplier"] = _hex(SUPPLIER)
        assert esme.methods()["han.joined"]({}) == {"alerts": [0x8183, 0x8F69]}
        alerts = [frame.parse(binascii.unhexlify(d["hex"])) for n, d in events if n == "alert"]
        assert [(a.recipient, a.message_code) for a in alerts] == [(SUPPLIER, 0x1001)] * 2
        assert all(security.mac_valid(_z_supplier(), a) for a in alerts)
        assert dlms.parse_data_notification(alerts[1].content)[2][1][0] == (0x12, 0x8F69)
        ppmid, _ = role("ppmid", root + "/p")
        assert ppmid.methods()["han.joined"]({}) == {"alerts": []}  # no supplier cell
    finally:
        rmtree(root)


def _z_supplier():
    from firmware.crypto import p256

    return p256.ecdh(world().sup_ka, world().dev_ka_pub)


def test_supplier_cells_take_only_their_key_usage_and_decide_the_join_alerts():
    from firmware.link import MethodError

    w = world()
    root = tmpdir()
    try:
        esme, events = role("esme", root)
        esme.hal.config["gbcs"]["supplier"] = _hex(SUPPLIER)
        esme.setup()
        load = esme.methods()["cells.load"]
        acb_ds = _hex(w.dev_ds_pub)  # any point stands in for the ACB's DS key here
        try:
            load({"cell": "supplier_ds", "eui": _hex(ACB), "key_usage": "keyAgreement", "public": acb_ds})
            raise AssertionError("a keyAgreement certificate went into the digitalSignature cell")
        except MethodError as e:
            assert e.code == "key_usage_mismatch"
        assert run(esme, join_cmd(10))["rejected"] is None  # the supplier is still trusted
        assert run(esme, unjoin_cmd(11))["rejected"] is None
        # the DCC's certificates in both supplier cells: the supplier's signature is no longer trusted, no 0x8F69
        load({"cell": "supplier_ds", "eui": _hex(ACB), "key_usage": "digitalSignature", "public": acb_ds})
        load({"cell": "supplier_ka", "eui": _hex(ACB), "key_usage": "keyAgreement", "public": _hex(w.acb_ka_pub)})
        assert run(esme, unjoin_cmd(12))["rejected"] == "unknown_originator"
        assert esme.methods()["han.joined"]({}) == {"alerts": []}
        rmtree(root)
        root = tmpdir()
        bad, _ = role("esme", root, defects=("accept_any_key_usage",))
        bad.hal.config["gbcs"]["supplier"] = _hex(SUPPLIER)
        assert bad.methods()["cells.load"]({"cell": "supplier_ds", "eui": _hex(ACB), "key_usage": "keyAgreement",
                                            "public": acb_ds}) == {"loaded": "supplier_ds"}
    finally:
        rmtree(root)


def test_ppmid_answers_cs08_with_its_running_version_and_takes_cs06_only_signed():
    from firmware import ota_gbcs

    root = tmpdir()
    try:
        r, _ = role("ppmid", root, ota=True)
        answer = response(run(r, world().command(1, ota_gbcs.CS08, der.null(), False)))
        assert answer.content == b"\x30\x09\x04\x04\x00\x00\x01\x00\x02\x01\x00"
        cs06 = der.sequence(der.octet_string(bytes(32)), der.integer(1000))
        assert run(r, world().command(2, ota_gbcs.CS06, cs06, False))["rejected"] is not None  # critical: unsigned
        assert response(run(r, world().command(3, ota_gbcs.CS06, cs06, True))).content == \
            ota_gbcs.outcome_sequence(1, 0x100)  # signed: no image held, still the wired version
    finally:
        rmtree(root)
