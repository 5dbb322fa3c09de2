# MicroPython-side runner for test_device_gbcs_rtds.py: argv[1] = JSON cases file; prints one
# verdict per line ("ok" or the rejection reason), in order. Runs under MicroPython and CPython.
import json
import sys

sys.path.insert(0, sys.argv[2])
from firmware.gbcs.device import Device, Party  # noqa: E402
from firmware.gbcs.errors import Rejected  # noqa: E402

H = bytes.fromhex


def run(case):
    parties = {}
    for eui in case["parties"]:
        keys = case["parties"][eui]
        parties[H(eui)] = Party(H(keys["ds"]) if keys.get("ds") else None,
                                H(keys["ka"]) if keys.get("ka") else None)
    dev = Device(H(case["eui"]), H(case["ka_private"]), None, H(case["acb"]), parties)
    verdicts = []
    for hexmsg in case["messages"]:
        try:
            dev.check_command(H(hexmsg))
            verdicts.append("ok")
        except Rejected as e:
            verdicts.append(e.reason)
    return verdicts


with open(sys.argv[1]) as f:
    cases = json.load(f)
for case in cases:
    print(" ".join(run(case)))
