"""The sim-ezsp radio path (`rig.radios.ncp_bench`): EzspRadios driving emulated NCPs from the caller's thread on
the run's virtual clock. Virtual waits cost no wall time, the same seed gives the same capture, and the emulators'
join survives a lossy channel through bellows as it does on simulated radios."""
from __future__ import annotations

import time

import pytest

from emulators.medium.medium import Impairments, Medium
from emulators.provision import Provisioning
from harness.capture.capture import Capture
from harness.capture.pcap import read_pcap
from harness.zigbee import aps, mac, nwk, security
from rig.bench.builtin import sim_ezsp_bench
from rig.bench.model import Bench
from rig.bench.runtime import BenchRuntime
from rig.clock import VirtualClock
from rig.han_session import HanSession
from rig.radios.ncp_bench import EmulatedNcpBench
from rig.radios.protocol import DeliveryFailed

from han_join import join_esme

CH, ESME = 0x0A0B0C0D0E0F1011, 0x0A0B0C0D0E0F1012
KEY = bytes.fromhex("41618FC0C83B0E14A589954B16E31466")
BENCH_CHANNEL = 20      # not the default (11): the session must take the bench file's


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


@pytest.mark.parametrize("version", [13, 19])    # the incomingMessageHandler layouts before and from v14
def test_a_message_beyond_one_frame_travels_in_aps_blocks(tmp_path, version):
    """A 300-octet APS-secured message each way: sent as a window-of-one fragmented message (EZSP's message field
    holds at most 255 octets, one frame far less), the blocks on the air share one APS counter, and the receiver's
    host gets the whole message once."""
    up, down = bytes(range(256)) + bytes(44), bytes((300 - i) % 256 for i in range(300))
    clock, capture = VirtualClock(), Capture(tmp_path / "frag.pcap")
    bench = EmulatedNcpBench(Medium(clock, seed=5, impairments=Impairments(latency=0.002), capture=capture), version)
    try:
        hub, meter = bench.radio(CH, "chf"), bench.radio(ESME, "esme")
        hub.form_network(15, 0x1A2B, bytes(range(16)))
        hub.permit_joining(ESME, KEY, 600)
        meter.join(CH, KEY, channels=[15])
        meter.set_link_key(CH, KEY)
        meter.send_aps(CH, 0x0702, up)
        assert (hub.receive(5).payload, hub.receive(1)) == (up, None)
        hub.send_aps(ESME, 0x0702, down)
        assert (meter.receive(5).payload, meter.receive(1)) == (down, None)
        # a device told to join while its NCP is still in the network (a leave not yet heard) leaves it first
        assert meter.join(CH, KEY, channels=[15]).pan_id == 0x1A2B
    finally:
        bench.close()
        capture.close()
    # a timer of the session that outlives it sends nothing, as from a simulated radio taken off the medium
    assert hub.send_aps(ESME, 0x0702, b"late", wait=False) is None
    with pytest.raises(DeliveryFailed, match="closed"):
        hub.send_aps(ESME, 0x0702, b"late")
    blocks = []
    for _, psdu in read_pcap(tmp_path / "frag.pcap")[1]:
        frame = mac.decode(psdu[:-2])     # without its FCS
        if frame.frame_type == mac.DATA and frame.payload and nwk.decode(frame.payload).security:
            opened, _ = security.open_nwk(frame.payload, lambda _seq: bytes(range(16)))
            a = aps.decode(opened.payload) if opened.frame_type == nwk.DATA else None
            if a is not None and a.frame_type == aps.DATA and aps.fragment_of(a) is not None:
                blocks.append((a.counter, aps.fragment_of(a)))
    assert len(blocks) >= 2 * 5 and blocks[0][1] == (0, len([b for b in blocks if b[0] == blocks[0][0]])), blocks


def test_virtual_waits_cost_no_wall_time_and_the_capture_repeats(tmp_path):
    virtual, wall = exchange(tmp_path / "a.pcap")
    exchange(tmp_path / "b.pcap")
    assert virtual > 3600 and wall < virtual / 10  # the hour was not waited out (a ratio: the machine may be busy)
    assert (tmp_path / "a.pcap").read_bytes() == (tmp_path / "b.pcap").read_bytes()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    full = sim_ezsp_bench(13)
    bench = Bench(name="chf-esme", roles={r: full.roles[r] for r in ("chf", "esme")}, channel=BENCH_CHANNEL)
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


def test_sealed_hub_on_the_bench_files_channel_keeps_its_keys_out_of_the_capture(runtime):
    """The CHF forms on the bench's channel (the ESME's scan finds it there), and with the CHF sealed the capture's
    keys are only those the rig's own ESME host handed its NCP: the hub's NCP writes none (a real dongle cannot)."""
    rt, prov, tmp = runtime
    for role in rt.roles:
        rt.link(role).call("reset")
    han = HanSession(rt, prov, tmp / "sealed", sealed={"chf"})
    try:
        chf, esme = han.eui_int("chf"), han.eui_int("esme")
        assert [b.channel for b in han.radios["esme"].active_scan(range(11, 27)) if b.extended_pan_id == chf] \
            == [BENCH_CHANNEL]
        han.prenotify("esme")
        assert han.dcc.add_device(han.chf_eui, han.eui("esme"), prov.install_code("esme"), 90).ok
        assert han.device("esme").join(chf, timeout=60).joined
        labels = list(han.capture.keys.keys().values())
        assert f"link key {esme:016X}<->{chf:016X}" in labels, labels     # the unsealed host's key: kept
        assert not [label for label in labels if f"{chf:016X}<->" in label or label.startswith("network key")], labels
        han.air().filter(command="transport_key", dst=esme).must_next()  # read with the install code, off the air
    finally:
        han.close()


def test_run_for_hands_out_what_the_boards_said_before_time_moves(runtime):
    """A keypad entry's event (a PPMID's top-up to send) is taken at the time it was typed: with no timer due within
    the wait, the bench would otherwise jump the whole wait and the frame would leave (and its alert be stamped) 30 s
    late."""
    rt, prov, tmp = runtime
    han = HanSession(rt, prov, tmp / "pump")
    try:
        started, pumped = han.clock.now(), []
        han.pump = lambda: pumped.append(han.clock.now())
        han.run_for(30)
        assert pumped[0] == started and han.clock.now() == started + 30
    finally:
        han.close()
