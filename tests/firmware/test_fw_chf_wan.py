# The CHF's WAN buffer (firmware/roles/chf.py, BAD 7.2.2.6.3 i): its own alerts and what HAN devices send up are
# held in order while the WAN is down and flushed when it returns. Runs under CPython and MicroPython.
from test_fw_device_roles import role
from test_fw_hal import rmtree, tmpdir


def _wan(defects=()):
    root = tmpdir()
    chf, events = role("chf", root, defects)
    return root, chf, chf.methods(), events


def test_device_messages_and_own_alerts_wait_for_the_wan_in_order():
    root, chf, m, events = _wan()
    try:
        assert m["wan.device"]({"hex": "01"}) == {"sent": True}  # WAN up: the host half passes it on now
        m["wan.set"]({"up": False})
        assert m["wan.device"]({"hex": "02"}) == {"sent": False}
        chf.uplink({"hex": "03", "code": 0x18})
        assert m["wan.device"]({"hex": "04"}) == {"sent": False}
        assert [e for e in events if e[0] in ("alert", "device")] == []
        assert m["wan.set"]({"up": True}) == {"wan_up": True, "flushed": 3}
        assert [(n, d["hex"]) for n, d in events if n in ("alert", "device")] == \
            [("device", "02"), ("alert", "03"), ("device", "04")]
        assert m["wan.set"]({"up": True})["flushed"] == 0  # each once
    finally:
        rmtree(root)


def test_defect_drops_device_messages_but_keeps_own_alerts():
    root, chf, m, events = _wan(("drops_device_alerts_without_wan",))
    try:
        m["wan.set"]({"up": False})
        assert m["wan.device"]({"hex": "02"}) == {"sent": False}
        chf.uplink({"hex": "03", "code": 0x18})
        m["wan.set"]({"up": True})
        assert [(n, d["hex"]) for n, d in events if n in ("alert", "device")] == [("alert", "03")]
    finally:
        rmtree(root)
