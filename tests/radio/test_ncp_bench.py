"""The sim-ezsp radio path (`rig.radios.ncp_bench`): EzspRadios driving emulated NCPs from the caller's thread on
the run's virtual clock. Virtual waits cost no wall time, the same seed gives the same capture, and the emulators'
join survives a lossy channel through bellows as it does on simulated radios."""
from __future__ import annotations

import time

import pytest

from emulators.medium.medium import Impairments, Medium
from emulators.provision import Provisioning
from harness.capture.capture import Capture
from rig.bench.builtin import sim_ezsp_bench
from rig.bench.model import Bench
from rig.bench.runtime import BenchRuntime
from rig.clock import VirtualClock
from rig.han_session import HanSession
from rig.radios.ncp_bench import EmulatedNcpBench

from han_join import join_esme

CH, ESME = 0x0A0B0C0D0E0F1011, 0x0A0B0C0D0E0F1012
KEY = bytes.fromhex("41618FC0C83B0E14A589954B16E31466")


def exchange(pcap, seed: int = 5) -> tuple[float, float]:
    """Form, permit, join, a secured unicast each way and an hour of quiet; (virtual, wall) seconds taken."""
    clock = VirtualClock()
    capture = Capture(pcap)
    bench = EmulatedNcpBench(Medium(clock, seed=seed, impairments=Impairments(latency=0.002), capture=capture), 14)
    started, wall = clock.now(), time.monotonic()
    try:
        hub, meter = bench.radio(CH, "chf"), bench.radio(ESME, "esme")
        hub.form_network(15, 0x1A2B, bytes(range(16)))
        hub.permit_joining(ESME, KEY, 600)
        meter.join(CH, KEY, channels=[15])
        meter.send_aps(CH, 0x0702, b"up")
        assert hub.receive(5).payload == b"up"
        hub.send_aps(ESME, 0x0702, b"down")
        assert meter.receive(5).payload == b"down"
        bench.advance(3600)
        assert meter.receive(60) is None
    finally:
        bench.close()
        capture.close()
    return clock.now() - started, time.monotonic() - wall


def test_virtual_waits_cost_no_wall_time_and_the_capture_repeats(tmp_path):
    virtual, wall = exchange(tmp_path / "a.pcap")
    exchange(tmp_path / "b.pcap")
    assert virtual > 3600 and wall < virtual / 10  # the hour was not waited out (a ratio: the machine may be busy)
    assert (tmp_path / "a.pcap").read_bytes() == (tmp_path / "b.pcap").read_bytes()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    full = sim_ezsp_bench(13)
    bench = Bench(name="chf-esme", roles={r: full.roles[r] for r in ("chf", "esme")})
    tmp = tmp_path_factory.mktemp("ezsp-loss")
    prov = Provisioning(tmp / "prov", {r: e.eui64 for r, e in bench.roles.items()})
    with BenchRuntime(bench, tmp / "bench", board_extra=prov.board_config) as rt:
        yield rt, prov, tmp


@pytest.mark.parametrize("seed", [2, 5])
def test_join_with_ten_percent_loss_through_bellows(runtime, seed):
    rt, prov, tmp = runtime
    for role in rt.roles:
        rt.link(role).call("reset")
    han = HanSession(rt, prov, tmp / f"seed{seed}", seed=seed, impairments=Impairments(loss=0.1))
    try:
        assert han.ncp_bench is not None and han.ncp_bench.version == 13
        join_esme(han, prov)
        assert han.medium.stats.lost > 0, "the channel lost nothing: the test proves nothing"
    finally:
        han.close()


@pytest.mark.parametrize("version", [8, 14])
def test_the_ncp_reports_its_protocol_and_stack_versions(version):
    """What a run records of an EZSP radio: the protocol version negotiated and the stack version the NCP reports."""
    bench = EmulatedNcpBench(Medium(VirtualClock(), seed=1), version)
    try:
        assert bench.radio(CH, "chf").ncp_version() == f"EZSP v{version}, stack 7.4.4.0 build 0"
    finally:
        bench.close()
