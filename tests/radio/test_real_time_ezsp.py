"""HAN sessions on EZSP radios at serial ports run in real time: here the "dongles" are emulated NCPs on ptys
(`PtyNcps`, their medium following wall time) named in a bench file like real ones, with simulated boards."""
from __future__ import annotations

import pytest

from emulators.medium.medium import Medium
from emulators.ncp.server import PtyNcps
from emulators.provision import Provisioning
from harness.dcc.smi import Status
from rig.bench.benchfile import sim_eui64
from rig.bench.model import EZSP, SIM, Bench, Emulator, Radio
from rig.bench.runtime import BenchRuntime
from rig.clock import RealClock, VirtualClock
from rig.han_session import HanSession

ROLES = ("chf", "esme")


@pytest.fixture
def bench(tmp_path):
    euis = {role: sim_eui64(i + 1) for i, role in enumerate(ROLES)}
    with PtyNcps(Medium(VirtualClock(), seed=4)) as ncps:
        ports = {role: ncps.add(int(euis[role], 16), version=14, name=role)[1] for role in ROLES}
        roles = {role: Emulator(role=role, board=SIM, eui64=euis[role],
                                radio=Radio(kind=EZSP, port=ports[role], flow_control="hardware"))
                 for role in ROLES}
        yield Bench(name="ptys", roles=roles), euis, tmp_path


@pytest.mark.timeout(300)
def test_join_in_real_time_on_serial_port_ncps(bench):
    model, euis, tmp = bench
    prov = Provisioning(tmp / "prov", euis)
    with BenchRuntime(model, tmp / "bench", board_extra=prov.board_config) as rt:
        assert isinstance(rt.clock, RealClock)
        han = HanSession(rt, prov, tmp / "han")
        try:
            assert han.real_time
            han.prenotify("esme")
            assert han.dcc.add_device(han.chf_eui, han.eui("esme"), prov.install_code("esme"), 90).ok
            han.run_for(0.5)
            outcome = han.device("esme").join(han.chf.identity.eui_int, timeout=60)
            han.run_for(1)
            assert outcome.joined, outcome
            assert han.smi.status(han.eui("esme")) is Status.INSTALLED_NOT_COMMISSIONED
        finally:
            han.close()

