# The meter's supply control rules (firmware/supply_control.py, BAD 7.5.4-7.5.5), under CPython and MicroPython.
from firmware import supply_control as sc

T0 = 1767225600000  # 2026-01-01 00:00 UTC
MIN = 60000


def supply(gas=False, offset=None, **values):
    state = sc.defaults()
    state.update(values)
    if offset is None:
        return sc.Supply(state, gas)
    return sc.Supply(state, gas, offset)


def refusal(fn, *args):
    try:
        fn(*args)
    except sc.SupplyRefused as e:
        return e.reason
    return None


def test_disable_locks_arm_unlocks_and_consumer_enables():
    s = supply()
    assert s.disable() == [] and s.snapshot()["state"] == sc.DISABLED and s.s["locked"] and not s.on()
    assert refusal(s.consumer_enable) == sc.NOT_ARMED and not s.on()
    assert s.arm() == [sc.SUPPLY_ARMED]
    assert s.s["state"] == sc.ARMED and not s.s["locked"] and not s.on()
    assert s.consumer_enable() == [] and s.on()
    assert s.arm() == [sc.SUPPLY_ARMED] and not s.on()  # arming an enabled supply interrupts it until the consumer


def test_esme_remote_enable_and_gsme_cannot_be_enabled_remotely():
    e = supply()
    e.disable()
    assert e.enable_remote() == [] and e.on() and not e.s["locked"]
    g = supply(gas=True)
    g.disable()
    assert refusal(g.enable_remote) == sc.GSME_REMOTE_ENABLE
    assert g.s["state"] == sc.DISABLED and g.s["locked"]
    g.arm()
    assert refusal(g.enable_remote) == sc.GSME_REMOTE_ENABLE and not g.on()
    assert g.consumer_enable() == [] and g.on()


def test_preconditions_leave_state_unchanged():
    s = supply()
    s.credit_exhausted()
    assert refusal(s.arm) == sc.PRECONDITION and s.s["state"] == sc.DISABLED and s.s["cause"] == sc.BY_CREDIT
    assert refusal(s.enable_remote) == sc.PRECONDITION and not s.on()
    assert s.credit_restored() == [sc.SUPPLY_ARMED] and s.s["state"] == sc.ARMED
    assert s.credit_restored() == []
    p = supply(gas=True)
    p.power_loss()
    assert refusal(p.consumer_enable) == sc.NOT_ARMED
    assert p.arm() == [sc.SUPPLY_ARMED]  # disabled by gas power loss: Arm allowed


def test_tamper_with_and_without_lock():
    s = supply(tamper_lock=True)
    assert s.tamper() == [sc.TAMPER_DETECTED, sc.TAMPER_LOCKED]
    assert s.s["locked"] and s.s["cause"] == sc.BY_TAMPER and not s.on()
    assert refusal(s.consumer_enable) == sc.NOT_ARMED
    assert s.arm() == [sc.SUPPLY_ARMED] and not s.s["locked"]
    s.consumer_enable()
    s.tamper()
    assert s.enable_remote() == [] and s.on()  # ESME: Enable also clears a tamper disablement
    u = supply(tamper_lock=False)
    assert u.tamper() == [sc.TAMPER_DETECTED] and not u.s["locked"] and not u.on()


def test_gas_power_loss_and_uncontrolled_flow():
    g = supply(gas=True, depletion_lock=True, flow_limit_w=10000)
    assert g.power_loss() == [sc.GAS_POWER_LOSS] and g.s["locked"] and not g.on()
    g.arm()
    g.consumer_enable()
    assert g.set_load(9000, T0) == [] and g.on()
    g.set_load(12000, T0)
    assert g.s["state"] == sc.ARMED and g.s["cause"] == sc.BY_FLOW and g.s["alarm"] and not g.on()
    g.set_load(0, T0)
    g.consumer_enable()
    assert g.on() and not g.s["alarm"]
    unlocked = supply(gas=True)
    unlocked.power_loss()
    assert not unlocked.s["locked"]


def test_load_limit_arms_then_restores_after_period():
    s = supply(load_limit_w=5000, load_limit_period_s=60, load_limit_restore_s=300)
    assert s.set_load(6000, T0) == []
    assert s.tick(T0 + 59000) == [] and s.on()
    assert s.tick(T0 + 60000) == [sc.LOAD_LIMIT_ARMED]
    assert s.s["state"] == sc.ARMED and s.s["cause"] == sc.BY_LOAD_LIMIT and s.s["load_limit_count"] == 1
    assert s.tick(T0 + 60000 + 299000) == [] and not s.on()
    assert s.tick(T0 + 60000 + 300000) == [sc.LOAD_LIMIT_RESTORED] and s.on()
    s.set_load(4000, T0 + 400000)
    assert s.tick(T0 + 900000) == [] and s.on()
    no_disable = supply(load_limit_w=5000, load_limit_disable=False)
    no_disable.set_load(6000, T0)
    assert no_disable.tick(T0 + 60000) == [sc.LOAD_LIMIT_ARMED] and no_disable.on()
    gas = supply(gas=True, load_limit_w=5000)
    gas.set_load(6000, T0)
    assert gas.tick(T0 + 600000) == []


def test_alcs_switches_with_random_offset_within_limit_only_when_enabled():
    offsets = []

    def offset(limit_s):
        offsets.append(limit_s)
        return 90000

    s = supply(offset=offset, alc_schedule=[{"minute": 60, "on": True}, {"minute": 120, "on": False}])
    s.tick(T0)
    s.tick(T0 + 60 * MIN)
    assert not s.s["alc_on"] and s.s["alc_pending"] is not None  # due at 01:01:30
    s.tick(T0 + 61 * MIN)
    assert not s.s["alc_on"]
    s.tick(T0 + 62 * MIN)
    assert s.s["alc_on"] and offsets == [sc.DEFAULT_OFFSET_LIMIT_S]
    assert s.s["alc_log"][-1] == {"scheduled": T0 + 60 * MIN, "at": T0 + 60 * MIN + 90000, "on": True,
                                  "switched": True}
    s.disable()
    s.tick(T0 + 130 * MIN)
    assert s.s["alc_on"] and s.s["alc_log"][-1]["switched"] is False  # supply disabled: no switching
    s.enable_remote()
    s.tick(T0 + (25 * 60 + 2) * MIN)  # next day's 01:00 switching happened while enabled
    assert s.s["alc_on"] and s.s["alc_log"][-1]["scheduled"] == T0 + 25 * 60 * MIN
    for _ in range(200):
        assert 0 <= sc.random_offset_ms(600) <= 600000
    assert sc.random_offset_ms(0) == 0


def test_configure_rejects_unknown_names():
    s = supply()
    s.configure({"offset_limit_s": 900})
    assert s.s["offset_limit_s"] == 900
    try:
        s.configure({"colour": "red"})
    except KeyError:
        return
    raise AssertionError("accepted an unknown configuration name")
