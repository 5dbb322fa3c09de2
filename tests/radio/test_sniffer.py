"""A bench's sniffer: an EZSP NCP in packet-capture mode (mfglib) writes the test's capture on a real-time bench.
The "dongles" are emulated NCPs on ptys; the medium's own record of every frame sent is the reference the
sniffer's pcap must match."""
from __future__ import annotations

import pytest

from emulators.medium.medium import Medium
from emulators.ncp.server import PtyNcps
from emulators.provision import Provisioning
from harness.capture.pcap import read_pcap
from harness.zigbee import mac
from rig.bench.benchfile import sim_eui64
from rig.bench.model import EZSP, SIM, Bench, Emulator, Radio
from rig.bench.runtime import BenchRuntime
from rig.clock import VirtualClock
from rig.han_session import HanSession
from rig.radios.sniffer import EzspSniffer

from han_join import join_esme

ROLES = ("chf", "esme")
SNIFFER_EUI = 0x0253494D000000FF


class Frames:
    """The medium's record of every MPDU sent (any channel)."""

    def __init__(self) -> None:
        self.mpdus: list[bytes] = []

    def frame(self, _timestamp: float, mpdu: bytes) -> None:
        self.mpdus.append(mpdu)


def beacon_request(mpdu: bytes) -> bool:
    frame = mac.decode(mpdu)
    return frame.frame_type == mac.COMMAND and frame.payload[:1] == b"\x07"


@pytest.fixture
def ptys():
    sent = Frames()
    with PtyNcps(Medium(VirtualClock(), seed=5, capture=sent)) as ncps:
        yield ncps, sent


@pytest.mark.timeout(300)
def test_sniffer_writes_the_sessions_capture(ptys, tmp_path):
    ncps, sent = ptys
    euis = {role: sim_eui64(i + 1) for i, role in enumerate(ROLES)}
    roles = {role: Emulator(role=role, board=SIM, eui64=euis[role],
                            radio=Radio(kind=EZSP, port=ncps.add(int(euis[role], 16), version=14, name=role)[1]))
             for role in ROLES}
    sniffer_port = ncps.add(SNIFFER_EUI, version=13, name="s1")[1]
    model = Bench(name="ptys", roles=roles, sniffers={"s1": Radio(kind=EZSP, port=sniffer_port)})
    prov = Provisioning(tmp_path / "prov", euis)
    with BenchRuntime(model, tmp_path / "bench", board_extra=prov.board_config) as rt:
        han = HanSession(rt, prov, tmp_path / "han")
        try:
            join_esme(han, prov, settle=0.5)
        finally:
            han.close()
    _, captured = read_pcap(han.capture.path)
    heard = [psdu[:-2] for _, psdu in captured]     # the pcap's frames carry the FCS its writer computed
    # every frame sent on the bench's channel, in order (beacon requests also went out on the other channels
    # while the ESME scanned; the sniffer hears only the HAN's channel)
    assert [m for m in heard if not beacon_request(m)] == [m for m in sent.mpdus if not beacon_request(m)]
    assert any(beacon_request(m) for m in heard) and len(heard) > 20
    assert [t for t, _ in captured] == sorted(t for t, _ in captured)


@pytest.mark.timeout(120)
def test_packet_capture_is_refused_on_a_node_with_a_network(ptys):
    """The positive control (capture starts on a fresh NCP) and the refusal once the NCP has formed a network."""
    ncps, _ = ptys
    ncp, port = ncps.add(SNIFFER_EUI, version=8, name="s1")
    sniffer = EzspSniffer(port, 11, Frames(), VirtualClock())
    sniffer.close()
    assert ncp.stack.mfglibStart(True) == {"status": "ok"} and ncp.stack.mfglibEnd() == {"status": "ok"}
    ncp.stack.air.form_network(11, 0x1A62, bytes(16))
    assert ncp.stack.mfglibStart(True) == {"status": "invalid_call"}
