# The CHF's mains monitor (firmware/roles/chf.py): an outage of 3 minutes or more after a loss of power is reported
# to the DCC (the rig's GNCA 0xFF01, which becomes AD1), a shorter one is not, and a software reboot never is (unless
# the 'ad1_on_reboot' defect). Runs under CPython (pytest) and the MicroPython unix port.
import binascii

from firmware import roles
from firmware.gbcs import dlms, frame
from firmware.roles import chf as chf_role
from test_fw_device_roles import NOW, role
from test_fw_hal import rmtree, tmpdir

MINUTE = 60000


def reports(events):
    """The alert codes of the outage reports among `events`."""
    out = []
    for name, data in events:
        if name == "alert" and data["code"] == chf_role.GNCA:
            body = dlms.parse_data_notification(frame.parse(binascii.unhexlify(data["hex"])).content)[2]
            out.append(body[1][0][1])
    return out


def restart(ch, events, reason, off_ms):
    """The CH restarts (`reason` as the app names it) `off_ms` after it last heard the time; its clock is set."""
    ch.hal.boot_reason = reason
    ch.hal.clock.set(ch.hal.clock.now_ms() + off_ms)
    again = roles.load("chf", ch.hal)
    del events[:]
    again.on_time(ch.hal.clock.now_ms())
    return again


def test_outage_reported_only_after_a_loss_of_power_of_three_minutes_or_more():
    root = tmpdir()
    try:
        ch, events = role("chf", root)
        ch.on_time(NOW)
        assert ch.state["mains_ms"] == NOW and reports(events) == []  # a first power-on: nothing to judge
        ch.on_time(NOW + 30000)
        assert ch.state["mains_ms"] == NOW  # the checkpoint is written once a minute
        ch.on_time(NOW + MINUTE)
        assert ch.state["mains_ms"] == NOW + MINUTE
        ch = restart(ch, events, "power_on", 2 * MINUTE)
        assert reports(events) == [], "an interruption under 3 minutes was reported"
        ch = restart(ch, events, "power_cycle", 4 * MINUTE)
        assert reports(events) == [chf_role.POWER_OUTAGE]
        ch.on_time(ch.hal.clock.now_ms() + MINUTE)
        assert reports(events) == [chf_role.POWER_OUTAGE], "the outage was reported twice"
        ch = restart(ch, events, "reboot", 4 * MINUTE)
        assert reports(events) == [], "a software reboot was reported as an outage"
    finally:
        rmtree(root)


def test_ad1_on_reboot_defect_reports_every_restart():
    root = tmpdir()
    try:
        ch, events = role("chf", root, defects=("ad1_on_reboot",))
        ch.on_time(NOW)
        ch = restart(ch, events, "reboot", 1000)
        assert reports(events) == [chf_role.POWER_OUTAGE]
    finally:
        rmtree(root)
