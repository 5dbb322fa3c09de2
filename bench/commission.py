"""Benchmark: wall time from an empty bench to ESME, GSME (with its GPF) and PPMID all Commissioned and paired.

Steps (BAD 7.2.1): bench SMKI minted, six MicroPython boards started; the CH commissioned; per device SRV 12.2 +
SRV 8.11 + HAN join with CBKE (and the CHF's tunnel); SRV 8.1.1 (ECS70 / GCS28, signed by the supplier, checked on
the meter's board, signed response) for both meters; SRV 8.7 joins PPMID-ESME (CS03A2, CS03A1) and PPMID-GSME via
the GPF (CS03B, CS03C both sides, GCS62). Prints figures (virtual time too); asserts nothing but success.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from emulators.provision import SUPPLIER
from harness.dcc.devices import CS03A1, CS03A2, CS03B, CS03C
from harness.dcc.smi import Status
from rig.han_session import HanSession
from sim_start import started_sim_bench

DEVICES = ("esme", "gsme", "ppmid")
JOINS = (("ppmid", CS03A2, "esme"), ("esme", CS03A1, "ppmid"), ("gpf", CS03B, "ppmid"), ("gsme", CS03C, "ppmid"),
         ("ppmid", CS03C, "gsme"))


def commission_all(han: HanSession) -> dict[str, float]:
    marks: dict[str, float] = {}
    han.commission_ch()
    for role in DEVICES:
        started = time.perf_counter()
        han.prenotify(role)
        if not han.dcc.add_device(han.chf_eui, han.eui(role), han.provisioning.install_code(role), 90).ok:
            raise SystemExit(f"CCS01 for the {role} failed")
        if not han.device(role).join(han.chf.identity.eui_int).joined:
            raise SystemExit(f"the {role} did not join")
        han.run_for(10)
        marks[f"install {role}"] = time.perf_counter() - started
    for meter in ("esme", "gsme"):
        started = time.perf_counter()
        answer = han.devices.commission(SUPPLIER, han.eui(meter))
        if not answer.ok:
            raise SystemExit(f"SRV 8.1.1 for the {meter} failed: {answer.detail}")
        marks[f"commission {meter}"] = time.perf_counter() - started
    started = time.perf_counter()
    for device, code, other in JOINS:
        answer = han.devices.join(SUPPLIER, han.eui(device), code, han.eui(other), other, critical=code != CS03B)
        if not answer.ok:
            raise SystemExit(f"join {other} on the {device} failed: {answer.detail}")
    marks["pair PPMID with ESME and GSME (5 joins)"] = time.perf_counter() - started
    statuses = {role: han.smi.status(han.eui(role)) for role in DEVICES}
    if set(statuses.values()) != {Status.COMMISSIONED}:
        raise SystemExit(f"not all Commissioned: {statuses}")
    return marks


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with started_sim_bench(workdir) as (runtime, provisioning, started):
            han = HanSession(runtime, provisioning, workdir / "han")
            virtual_start = han.clock.now()
            try:
                marks = commission_all(han)
            finally:
                han.close()
            done = time.perf_counter()
            virtual = han.clock.now() - virtual_start
        for name, seconds in marks.items():
            print(f"{name:45s} {1000 * seconds:8.1f} ms")
        print(f"empty bench to all Commissioned and paired: {done - started:.2f} s wall "
              f"({virtual:.0f} s of virtual time)")


if __name__ == "__main__":
    main()
