"""HAN sessions on EZSP radios at serial ports run in real time: here the "dongles" are emulated NCPs on ptys
(`PtyNcps`, their medium following wall time) named in a bench file like real ones, with simulated boards."""
from __future__ import annotations

import pytest

from emulators.medium.medium import Medium
from emulators.ncp.server import PtyNcps
from emulators.provision import Provisioning
from rig.bench.benchfile import sim_eui64
from rig.bench.model import EZSP, SIM, Bench, Emulator, Radio
from rig.bench.runtime import BenchRuntime
from rig.clock import RealClock, VirtualClock
from rig.han_session import HanSession

from han_join import join_esme

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
            join_esme(han, prov, settle=0.5)
        finally:
            han.close()

