"""Benchmark: the smallest MicroPython heap on which a board can run each GBCS workload.

Each workload runs the real firmware (role code, firmware.gbcs, firmware.crypto) in the MicroPython unix port with
-X heapsize=N, bisecting N. Commands come from the rig's own DCC core with a freshly minted bench SMKI. Prints
figures and their ratio to a Raspberry Pi Pico's 264 KB of RAM; asserts nothing.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from emulators.provision import SUPPLIER, Provisioning
from harness.dcc.core import DccCore
from harness.dcc.counters import CounterStore
from harness.dcc.han import register_device_payload
from harness.shared import PROJECT_ROOT
from rig.boards.sim import micropython_executable

PICO_RAM = 264 * 1024
ECS70 = 0x0062


def workloads(tmp: Path) -> dict:
    prov = Provisioning(tmp / "prov")
    core = DccCore(prov.keystore, CounterStore(tmp / "counters.json"))
    chf, esme = (bytes.fromhex(prov.euis[r]) for r in ("chf", "esme"))
    ccs01 = core.acb_command(SUPPLIER, chf, 0x0001,
                             lambda c: register_device_payload(c, esme, 1, bytes(range(16)), 90)).data
    ecs70 = core.command(SUPPLIER, esme, ECS70, lambda c: bytes.fromhex("D9") + (0x20000000 | c & 0xFFFFFF)
                         .to_bytes(4, "big") + bytes.fromhex("000103000800000100000002010109"), critical=True).data
    esme_gbcs = prov.gbcs_config("esme")
    esme_gbcs["critical_codes"] = [ECS70]
    return {
        "CHF: CCS01 (ACB MAC check, DLMS, response MAC, CS14 alert MAC)":
            {"role": "chf", "gbcs": prov.gbcs_config("chf"), "commands": [ccs01.hex()]},
        "ESME: critical command (ACB MAC + supplier ECDSA signature check, signed response)":
            {"role": "esme", "code": ECS70, "gbcs": esme_gbcs, "commands": [ecs70.hex()]},
    }


def fits(name: str, heap: int, spec: Path, tmp: Path) -> bool:
    flash = tempfile.mkdtemp(dir=tmp)
    Path(flash, "data").mkdir()
    out = subprocess.run([micropython_executable(), "-X", f"heapsize={heap}", str(PROJECT_ROOT / "bench" / "mp" /
                          "fw_memory_workload.py"), str(PROJECT_ROOT), str(spec), name, flash],
                         capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    if out.stdout.strip() != "ok" and "MemoryError" not in text:
        raise SystemExit(f"workload {name!r} failed: {text}")
    return out.stdout.strip() == "ok"


def main() -> None:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        specs = workloads(tmp)
        spec = tmp / "workloads.json"
        spec.write_text(json.dumps(specs))
        for name in specs:
            low, high = 8 * 1024, 4 * 1024 * 1024
            if not fits(name, high, spec, tmp):
                print(f"{name}: does not fit in {high // 1024} KB")
                continue
            while high - low > 4 * 1024:
                mid = (low + high) // 2
                low, high = (low, mid) if fits(name, mid, spec, tmp) else (mid, high)
            print(f"{name}: smallest heap {high // 1024} KB ({high / PICO_RAM:.2f} x a Pico's 264 KB RAM)")


if __name__ == "__main__":
    sys.exit(main())
