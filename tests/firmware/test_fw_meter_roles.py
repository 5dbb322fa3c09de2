# The ESME/GSME board roles with credit and supply control together (firmware/roles/prepay.py, supply.py), driven
# as the consumer, the bench and a GBCS handler would drive them; under CPython and MicroPython.
import binascii

from firmware import credit, roles
from firmware import supply_control as sc
from firmware.crypto import ecdsa, p256
from firmware.hal import Hal
from firmware.roles.prepay import ZSE_ACCEPTED, ZSE_DUPLICATE
from firmware.supply_control import SupplyRefused
from test_fw_hal import recorder, rmtree, tmpdir
from test_fw_utrn import METER, SUPPLIER, make
from firmware import utrn

T0 = 1767225600000
HOUR = 3600000
PPMID = "00DB1234567890B0"
_KEYS = []


def keys():
    """(config, shared secret) for a meter whose UTRNs the test can make; the keys are made once per run."""
    if not _KEYS:
        s_priv, s_pub = ecdsa.generate_keypair()
        m_priv, m_pub = ecdsa.generate_keypair()
        _KEYS.append((s_pub, m_priv, p256.ecdh(s_priv, m_pub)))
    s_pub, m_priv, z = _KEYS[0]
    config = {"gbcs": {"eui": binascii.hexlify(METER).decode(), "ka_private": binascii.hexlify(m_priv).decode(),
                       "ds_private": "11" * 32, "acb": "90B3D51F30000002", "parties": {}},
              "utrn": {"supplier": binascii.hexlify(SUPPLIER).decode(), "supplier_pp": binascii.hexlify(s_pub).decode(),
                       "max_topup": 50000, "credit_limit": 100000},
              "price_p_per_kwh": 100,
              "prepayment": {"low_credit_threshold": 300, "ec_threshold": 100, "ec_limit": 500}}
    return config, z


def meter(root, role="esme", **extra):
    config, _ = keys()
    config = dict(config)
    config.update(extra)
    events, emit = recorder()
    hal = Hal(emit, root, config)
    hal.clock.set(T0)
    m = roles.load(role, hal)
    m.state["devlog"].append({"eui": PPMID, "type": 5})  # as a CS03 join leaves it
    m.on_time(T0)
    del events[:]  # a fresh meter below its low-credit threshold has just said so
    return m, events


def alerts(events):
    return [d["code"] for n, d in events if n == "device_alert"]


def utrn_text(counter, pounds):
    return make(keys()[1], counter, utrn.POUNDS, pounds)


def advance(m, ms):
    m.hal.clock.advance(ms)
    m.on_time(m.hal.clock.now_ms())


def test_credit_runs_down_low_credit_ec_disablement_then_top_up_arms_and_consumer_enables():
    root = tmpdir()
    try:
        m, events = meter(root)
        m.adjust_balance(1000)
        m.methods()["stim.load"]({"watts": 1000})  # 1 kW at 100 p/kWh: 100 p an hour
        advance(m, 7 * HOUR + 1)
        assert m.account.s["balance"] == 300 and alerts(events) == []
        advance(m, HOUR)
        assert alerts(events) == [credit.LOW_CREDIT] and "LOW" in m.hal.display.text
        advance(m, 2 * HOUR)  # balance 0: EC available below 100
        assert "EC AVAILABLE" in m.hal.display.text
        m.hal.keypad.press("A")
        assert alerts(events)[-1] == credit.EC_ACTIVATED and m.account.s["ec_in_use"]
        advance(m, 5 * HOUR)  # EC 500 used up
        assert alerts(events)[-1] == credit.DISABLEMENT
        assert m.methods()["ui.supply_state"]({})["state"] == sc.DISABLED and not m.hal.switch.on
        assert m.methods()["relay.get"]({}) == {"on": False}
        balance = m.account.s["balance"]
        advance(m, HOUR)
        assert m.account.s["balance"] == balance  # no supply, no charge
        m.hal.keypad.press(utrn_text(1, 20) + "#")
        assert m.account.s["balance"] == balance + 2000 and not m.account.s["ec_in_use"]
        assert alerts(events)[-2:] == [credit.CREDIT_ADDED_LOCALLY, sc.SUPPLY_ARMED]
        assert m.supply.s["state"] == sc.ARMED and not m.hal.switch.on  # armed: the consumer must enable
        assert m.methods()["ui.press"]({"button": "enable"})["display"].startswith("ESME SUPPLY ON")
        assert m.hal.switch.on
    finally:
        rmtree(root)


def test_privacy_pin_on_the_keypad():
    root = tmpdir()
    try:
        m, events = meter(root)
        m.set_privacy_pin("4321")
        m.hal.keypad.press("A")
        assert not m.account.s["ec_in_use"] and m.hal.display.text == "EC REFUSED " + credit.PIN_REQUIRED
        assert ("ec", {"accepted": False, "reason": credit.PIN_REQUIRED}) in events
        m.hal.keypad.press("1111A")
        assert not m.account.s["ec_in_use"]
        m.hal.keypad.press("4321A")
        assert m.account.s["ec_in_use"] and alerts(events) == [credit.EC_ACTIVATED]
        defective, _ = meter(tmpdir_sub(root), defects=["ec_ignores_privacy_pin"])
        defective.set_privacy_pin("4321")
        defective.hal.keypad.press("A")
        assert defective.account.s["ec_in_use"]
    finally:
        rmtree(root)


def test_the_consumer_sets_and_changes_the_privacy_pin_on_the_keypad():
    root = tmpdir()
    try:
        m, _ = meter(root)
        m.hal.keypad.press("12D")
        assert m.hal.display.text == "PIN NOT CHANGED" and m.account.s["pin"] is None
        m.hal.keypad.press("1234D")
        assert m.hal.display.text == "PIN SET" and m.account.s["pin"] == "1234"
        m.hal.keypad.press("99995678D")  # the old PIN must come first
        assert m.hal.display.text == "PIN NOT CHANGED" and m.account.s["pin"] == "1234"
        m.hal.keypad.press("12345678D")
        assert m.account.s["pin"] == "5678"
    finally:
        rmtree(root)


def tmpdir_sub(root):
    import os

    path = root + "/sub"
    os.mkdir(path)
    return path


def test_one_utrn_credits_once_whichever_way_it_comes():
    root = tmpdir()
    try:
        m, events = meter(root)
        token = utrn_text(2, 5)
        assert m.remote_top_up(token)["accepted"] and m.account.s["balance"] == 500
        assert credit.CREDIT_ADDED_LOCALLY not in alerts(events)  # a remote top-up is not "added locally"
        m.hal.keypad.press(token + "#")
        assert m.hal.display.text == "UTRN REJECTED " + utrn.REPLAY
        answer = m.methods()["zse.top_up"]({"from": PPMID, "utrn": token})
        assert answer["processed"] and answer["result"] == ZSE_DUPLICATE
        assert m.remote_top_up(token)["reason"] == utrn.REPLAY and m.account.s["balance"] == 500
        answer = m.methods()["zse.top_up"]({"from": PPMID, "utrn": utrn_text(3, 1)})
        assert answer["result"] == ZSE_ACCEPTED and answer["value"] == 100 and m.account.s["balance"] == 600
        assert alerts(events)[-1] == credit.CREDIT_ADDED_LOCALLY
    finally:
        rmtree(root)


def test_han_device_not_in_the_log_gets_no_processing_at_all():
    root = tmpdir()
    try:
        m, events = meter(root, "gsme", prepayment={"ec_threshold": 100, "ec_limit": 500})
        before = len(events)
        stranger = "00DB1234567890FF"
        assert m.methods()["zse.top_up"]({"from": stranger, "utrn": utrn_text(4, 5)}) == {"processed": False}
        assert m.methods()["zse.select_ec"]({"from": stranger}) == {"processed": False}
        assert events[before:] == [] and m.account.s["balance"] == 0 and not m.account.s["ec_in_use"]
        assert m.methods()["zse.select_ec"]({"from": PPMID}) == {"processed": True, "accepted": True}
    finally:
        rmtree(root)


def test_supply_commands_tamper_and_gsme_rules_through_the_role():
    root = tmpdir()
    try:
        e, events = meter(root)
        e.remote_disable()
        assert not e.hal.switch.on and e.methods()["ui.supply_state"]({})["locked"]
        assert e.methods()["ui.press"]({"button": "enable"})["display"] == "CANNOT ENABLE " + sc.NOT_ARMED
        e.remote_arm()
        assert alerts(events) == [sc.SUPPLY_ARMED] and not e.hal.switch.on
        e.remote_enable()
        assert e.hal.switch.on
        assert e.methods()["stim.tamper"]({})["alerts"] == [sc.TAMPER_DETECTED, sc.TAMPER_LOCKED]
        assert not e.hal.switch.on
        g, _ = meter(tmpdir_sub(root), "gsme")
        g.remote_disable()
        try:
            g.remote_enable()
        except SupplyRefused as err:
            assert err.reason == sc.GSME_REMOTE_ENABLE
        else:
            raise AssertionError("a GSME enabled remotely")
        assert g.methods()["stim.power_loss"]({})["alerts"] == [sc.GAS_POWER_LOSS]
        assert "stim.power_loss" not in e.methods()
    finally:
        rmtree(root)


def test_defective_meter_enables_without_the_consumer():
    root = tmpdir()
    try:
        m, _ = meter(root, defects=["supply_enabled_without_consumer"])
        m.remote_disable()
        m.remote_arm()
        assert m.hal.switch.on
    finally:
        rmtree(root)


def test_credit_and_supply_state_survive_a_power_cycle():
    root = tmpdir()
    try:
        m, _ = meter(root)
        m.adjust_balance(-50)
        assert not m.hal.switch.on
        m.set_debt(payment_debt=40, payment_debt_pct=50)
        again, _ = meter(root)
        assert again.account.s["balance"] == -50 and again.account.s["payment_debt"] == 40
        assert again.supply.s["state"] == sc.DISABLED and again.supply.s["cause"] == sc.BY_CREDIT
        assert not again.hal.switch.on
        again.set_payment_mode(credit.CREDIT)
        assert again.supply.s["state"] == sc.ARMED  # no credit disablement in credit mode
        again.reset()
        assert again.account.s["balance"] == 0 and again.supply.on()
    finally:
        rmtree(root)
