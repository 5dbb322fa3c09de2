# MicroPython side of bench/firmware_memory.py (run by it, not on its own): runs one workload from a JSON
# file and prints "ok" or the error. argv: project root, workload file, workload name, flash dir.
import gc
import json
import sys

sys.path.insert(0, sys.argv[1])
from firmware.hal import Hal  # noqa: E402
from firmware.roles.chf import Chf  # noqa: E402
from firmware.roles.gbcs_role import GbcsRole  # noqa: E402


class _Meter(GbcsRole):
    name = "esme"

    def handlers(self):
        return {self.code: lambda msg: b"\xda" + msg.content[1:5] + b"\x00\x00\x01\x00\x01\x03\x00"}


with open(sys.argv[2]) as f:
    work = json.load(f)[sys.argv[3]]
hal = Hal(lambda name, data: None, sys.argv[4], {"role": work["role"], "gbcs": work["gbcs"]})
hal.clock.set(1767225600000)
if work["role"] == "chf":
    role = Chf(hal)
else:
    _Meter.code = work["code"]
    role = _Meter(hal)
gc.collect()
try:
    for command in work["commands"]:
        answer = role.gbcs_command({"hex": command})
        if answer["rejected"]:
            raise ValueError(answer["rejected"])
    print("ok")
except MemoryError:
    print("MemoryError")
