# The CHF checks the ACB MAC of every command, an HHT's locally delivered ones included (firmware/roles/chf.py,
# BAD 7.2.2.6.2); only its 'skip_local_mac_check' defect skips it, and only for those. Runs under CPython and
# MicroPython.
from test_fw_device_roles import role
from test_fw_hal import rmtree, tmpdir

HHT = "00DB1234567890A7"


def _options(defects, via):
    root = tmpdir()
    try:
        chf, _ = role("chf", root, defects)
        chf.via = via
        return chf.check_options()
    finally:
        rmtree(root)


def test_the_mac_is_checked_whoever_delivers_the_command():
    assert _options((), None)["verify_mac"] and _options((), HHT)["verify_mac"]


def test_the_defect_skips_it_for_local_delivery_only():
    assert not _options(("skip_local_mac_check",), HHT)["verify_mac"]
    assert _options(("skip_local_mac_check",), None)["verify_mac"]
