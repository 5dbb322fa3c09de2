# The meter's credit rules (firmware/credit.py, BAD 7.3.2), under CPython and MicroPython.
from firmware import credit

T0 = 1767225600000  # 2026-01-01 00:00 UTC, a Thursday
HOUR = 3600000


def account(**values):
    state = credit.defaults()
    state.update(values)
    return credit.Account(state)


def refusal(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except credit.CreditRefused as e:
        return e.reason
    return None


def test_low_credit_alert_once_per_crossing():
    a = account(balance=1000, low_credit_threshold=500)
    assert a.consume(400, T0) == []
    assert a.consume(200, T0) == [credit.LOW_CREDIT]
    assert a.consume(50, T0) == []
    a.top_up(1000, T0)
    assert not a.s["low"]
    assert a.consume(1000, T0) == [credit.LOW_CREDIT]


def test_disablement_below_threshold_raises_8f0f_and_wants_disabled():
    a = account(balance=100, low_credit_threshold=50, disablement_threshold=0)
    assert a.consume(60, T0) == [credit.LOW_CREDIT]
    assert a.consume(40, T0) == []
    assert not a.wants_disabled()
    assert a.consume(1, T0) == [credit.DISABLEMENT]
    assert a.wants_disabled()
    assert a.consume(10, T0) == []
    credited, debt, alerts = a.top_up(500, T0)
    assert (credited, debt, alerts) == (500, 0, []) and not a.wants_disabled()


def test_non_disablement_period_suspends_and_raises_8f83_then_disables_at_its_end():
    # Thursday (weekday 3) 00:00-06:00 is a non-disablement period.
    a = account(balance=10, low_credit_threshold=-1000, non_disablement=[{"days": [3], "start": 0, "end": 360}])
    assert a.consume(20, T0 + HOUR) == [credit.DISABLEMENT_SUSPENDED]
    assert not a.wants_disabled() and a.s["suspended"]
    assert a.tick(T0 + 2 * HOUR) == []
    assert a.tick(T0 + 6 * HOUR) == [credit.DISABLEMENT]
    assert a.wants_disabled()
    b = account(balance=10, low_credit_threshold=-1000, special_days=["2026-01-01"])
    assert b.consume(20, T0 + 23 * HOUR) == [credit.DISABLEMENT_SUSPENDED]
    assert b.tick(T0 + 24 * HOUR) == [credit.DISABLEMENT]


def test_emergency_credit_availability_activation_and_use():
    a = account(balance=300, ec_threshold=200, ec_limit=1000, low_credit_threshold=100)
    assert refusal(a.activate_ec, T0) == credit.EC_NOT_AVAILABLE
    a.consume(150, T0)
    assert a.ec_available()
    assert a.activate_ec(T0) == [credit.EC_ACTIVATED]
    assert a.s["ec_in_use"] and a.combined() == 1150 and a.ec_remaining() == 1000
    assert refusal(a.activate_ec, T0) == credit.EC_IN_USE
    a.consume(450, T0)  # balance -300: EC used 300
    assert a.s["balance"] == -300 and a.ec_remaining() == 700 and a.combined() == 400
    assert a.consume(800, T0) == [credit.LOW_CREDIT, credit.DISABLEMENT]
    # A top-up repays the EC used first; EC ends once the balance is back to zero or more.
    a.top_up(1000, T0)
    assert a.s["balance"] == -100 and a.s["ec_in_use"]
    a.top_up(1000, T0)
    assert a.s["balance"] == 900 and not a.s["ec_in_use"]


def test_privacy_pin_gates_local_ec_only():
    a = account(balance=0, ec_threshold=200, ec_limit=1000)
    a.set_pin("1234")
    assert refusal(a.activate_ec, T0) == credit.PIN_REQUIRED
    assert refusal(a.activate_ec, T0, pin="9999") == credit.PIN_REQUIRED
    assert not a.s["ec_in_use"]
    assert a.activate_ec(T0, pin="1234") == [credit.EC_ACTIVATED]
    b = account(balance=0, ec_threshold=200, pin="1234")
    assert b.activate_ec(T0, local=False) == [credit.EC_ACTIVATED]  # remote (ECS09/GCS06) needs no PIN
    b.set_pin(None)
    assert b.s["pin"] is None
    for bad in ("123", "12a4"):
        try:
            b.set_pin(bad)
        except ValueError:
            continue
        raise AssertionError("accepted Privacy PIN %r" % bad)


def test_time_debt_collected_daily_with_cap_and_suspensions():
    a = account(balance=5000, time_debt=[300, 1000], time_debt_rate=[100, 200], low_credit_threshold=0)
    a.tick(T0)
    a.tick(T0 + 23 * HOUR)
    assert a.s["time_debt"] == [300, 1000]
    a.tick(T0 + 24 * HOUR)
    assert a.s["time_debt"] == [200, 800] and a.s["balance"] == 4700
    a.tick(T0 + 4 * 24 * HOUR)  # three more midnights: register 1 runs out after two
    assert a.s["time_debt"] == [0, 200] and a.s["balance"] == 3900
    capped = account(balance=5000, time_debt=[1000, 1000], time_debt_rate=[100, 200], debt_recovery_rate_cap=150,
                     day=T0 // credit.DAY_MS)
    capped.tick(T0 + 24 * HOUR)
    assert capped.s["time_debt"] == [900, 950] and capped.s["balance"] == 4850
    in_ec = account(balance=0, ec_threshold=200, time_debt=[1000, 0], time_debt_rate=[100, 0],
                    day=T0 // credit.DAY_MS)
    in_ec.activate_ec(T0)
    in_ec.tick(T0 + 24 * HOUR)
    assert in_ec.s["time_debt"] == [1000, 0]
    in_ec.s["suspend_debt_emergency"] = False
    in_ec.tick(T0 + 48 * HOUR)
    assert in_ec.s["time_debt"] == [900, 0]
    credit_mode = account(balance=500, mode=credit.CREDIT, time_debt=[1000, 0], time_debt_rate=[100, 0],
                          day=T0 // credit.DAY_MS)
    credit_mode.tick(T0 + 24 * HOUR)
    assert credit_mode.s["time_debt"] == [1000, 0]


def test_payment_debt_taken_from_each_top_up():
    a = account(payment_debt=250, payment_debt_pct=20)
    assert a.top_up(1000, T0)[:2] == (800, 200)
    assert a.top_up(1000, T0)[:2] == (950, 50)
    assert a.s["payment_debt"] == 0 and a.s["balance"] == 1750
    assert a.top_up(1000, T0)[:2] == (1000, 0)
    a.set_debt(T0, payment_debt=100, time_debt=[5, 6])
    assert a.accumulated_debt() == 111


def test_local_top_up_raises_810e():
    a = account(balance=1000, low_credit_threshold=500)
    assert a.top_up(100, T0, local=True)[2] == [credit.CREDIT_ADDED_LOCALLY]
    assert a.top_up(100, T0)[2] == []


def test_mode_switch_keeps_balance_and_debt_and_stops_prepayment_rules():
    a = account(balance=-50, ec_in_use=True, ec_limit=1000, payment_debt=70, time_debt=[10, 20],
                low_credit_threshold=1000)
    a.evaluate(T0)
    assert a.s["low"]
    assert a.set_mode(credit.CREDIT, T0) == []
    assert a.s["balance"] == -50 and a.accumulated_debt() == 100
    assert not a.s["ec_in_use"] and not a.s["low"] and not a.wants_disabled()
    assert refusal(a.activate_ec, T0) == credit.CREDIT_MODE
    assert a.consume(10000, T0) == [] and not a.wants_disabled()
    assert a.set_mode(credit.PREPAYMENT, T0) == [credit.LOW_CREDIT, credit.DISABLEMENT]
    assert a.s["balance"] == -10050 and a.accumulated_debt() == 100
    try:
        a.set_mode("barter", T0)
    except ValueError:
        pass
    else:
        raise AssertionError("accepted an unknown payment mode")


def test_configure_adjust_reset_and_snapshot():
    a = account(balance=100, ec_threshold=200)
    assert a.configure({"low_credit_threshold": 200}, T0) == [credit.LOW_CREDIT]
    try:
        a.configure({"tariff": 1}, T0)
    except KeyError:
        pass
    else:
        raise AssertionError("accepted an unknown configuration name")
    a.adjust_balance(-150, T0)
    assert a.s["balance"] == -50 and a.wants_disabled()
    a.reset_balance(T0)
    snap = a.snapshot()
    assert snap["balance"] == 0 and snap["combined"] == 0 and not snap["exhausted"] and snap["mode"] == "prepayment"
    assert not snap["pin_set"] and snap["ec_available"]
