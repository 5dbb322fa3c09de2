"""Benchmark: a 200 kB GB OTA image distributed over the HAN on the built-in sim bench (CHF + ESME boards with the
default 256 KB MicroPython heap): the CHF's OTA server serves it block by block over the simulated radio, the
ESME's host half feeds every block to its board, whose own crypto checks the finished image.

Prints wall time, virtual time, the frames on the air and the airtime they would need at 250 kbit/s (each PSDU plus
the 6-octet PHY preamble, SFD and length), the board's check of the image (SHA-256 over it and the manufacturer's
P-256 signature), and the wall time per block; then the activation: a CS06 from the supplier through the CH to the
ESME, whose board hashes the held image again before it switches (wall and virtual time of the round trip).
Asserts nothing.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from emulators.provision import DEVICE_MODELS, Provisioning
from emulators.provision import SUPPLIER
from harness.capture.pcap import read_pcap
from harness.dcc.firmware import CS06, cs06_outcome, cs06_payload
from harness.ota import emulated
from harness.ota.image import OtaHeader, build, parse
from harness.smki.cpl import manufacturer_key, signer_id
from rig.bench.builtin import sim_bench
from rig.bench.model import Bench
from rig.bench.runtime import BenchRuntime
from rig.han_session import HanSession

IMAGE_SIZE = 200 * 1024
PHY_OVERHEAD = 6  # preamble (4), SFD (1), PHR (1)
RATE = 250_000    # bit/s, 2.4 GHz O-QPSK


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        full = sim_bench()
        bench = Bench(name="chf-esme", roles={r: full.roles[r] for r in ("chf", "esme")})
        provisioning = Provisioning(workdir / "provisioning", {r: e.eui64 for r, e in bench.roles.items()})
        manufacturer, model, _ = DEVICE_MODELS["esme"]
        image = build(OtaHeader(manufacturer, model, 0x200, "ESME 0.2.0", hardware_min=1, hardware_max=0x20),
                      emulated.manufacturer_image("0.2.0", IMAGE_SIZE), signer_id(manufacturer),
                      manufacturer_key(provisioning.smki_dir, manufacturer))
        with BenchRuntime(bench, workdir / "bench", board_extra=provisioning.board_config) as runtime:
            han = HanSession(runtime, provisioning, workdir / "han")
            try:
                han.prenotify("esme")
                assert han.dcc.add_device(han.chf_eui, han.eui("esme"), provisioning.install_code("esme"), 90).ok
                han.run_for(1)
                assert han.device("esme").join(han.chf.identity.eui_int).joined
                han.run_for(10)  # the CHF's tunnel to the ESME (GBCS carriage, the CS06 below)
                frames_before = len(read_pcap(han.capture.path)[1])
                han.chf.ota_server.load(image)
                han.chf.ota_server.notify(int.from_bytes(han.eui("esme"), "big"))
                client = han.device("esme").ota()
                link = han.device("esme").link
                checks: list[float] = []
                original_call = link.call

                def timed_call(method: str, **params):
                    started = time.perf_counter()
                    out = original_call(method, **params)
                    if method == "ota.end":
                        checks.append(time.perf_counter() - started)
                    return out

                link.call = timed_call
                wall0, virtual0 = time.perf_counter(), han.clock.now()
                result = client.run(han.chf.identity.eui_int, timeout=7200)
                wall, virtual = time.perf_counter() - wall0, han.clock.now() - virtual0
                link.call = original_call
                frames = read_pcap(han.capture.path)[1][frames_before:]
                han.run_for(10)  # the receipt alert travels up
                wall1, virtual1 = time.perf_counter(), han.clock.now()
                _, response = han.devices.request(SUPPLIER, han.eui("esme"), CS06,
                                                  cs06_payload(parse(image).manufacturer_image_hash), critical=True)
                activation = (time.perf_counter() - wall1, han.clock.now() - virtual1,
                              cs06_outcome(response.header.payload) if response is not None else "no response")
            finally:
                han.close()
        if result.stage != "ended" or not result.receipt["ok"]:
            sys.exit(f"the download did not complete: {result}")
        octets = sum(len(f) + PHY_OVERHEAD for _, f in frames)
        airtime = octets * 8 / RATE
        print(f"image: {len(image)} octets ({len(image) / 1024:.1f} KiB), {result.blocks} blocks of <= 48 octets, "
              f"{result.retries} repeated requests")
        print(f"wall time: {wall:.2f} s ({1000 * wall / result.blocks:.2f} ms per block)")
        print(f"virtual time: {virtual:.2f} s (virtual / wall = {virtual / wall:.2f})")
        print(f"on the air: {len(frames)} frames, {octets} octets incl. PHY headers; airtime at 250 kbit/s: "
              f"{airtime:.2f} s ({100 * airtime / virtual:.0f}% of the virtual time; payload efficiency "
              f"{100 * len(image) / octets:.0f}%)")
        print(f"board check of the image (SHA-256 + P-256 signature, MicroPython): {1000 * checks[0]:.0f} ms")
        print(f"activation (CS06 round trip through the CH, the board re-hashing the image): outcome "
              f"{activation[2]}, wall {activation[0]:.2f} s, virtual {activation[1]:.2f} s")


if __name__ == "__main__":
    main()
