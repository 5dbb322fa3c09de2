"""The emulators' join survives a lossy channel: join attempts repeat, unicasts are retried (by the MAC, then the
APS layer until acknowledged, also the trust centre's own replies), so lost frames do not turn into a device's
failure on the sim bench."""
from __future__ import annotations

import pytest

from emulators.medium.medium import Impairments
from emulators.provision import Provisioning
from harness.dcc.smi import Status
from rig.bench.builtin import sim_bench
from rig.bench.model import Bench
from rig.bench.runtime import BenchRuntime
from rig.han_session import HanSession

SEEDS = range(1, 7)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    full = sim_bench()
    bench = Bench(name="chf-esme", roles={r: full.roles[r] for r in ("chf", "esme")})
    tmp = tmp_path_factory.mktemp("loss")
    prov = Provisioning(tmp / "prov", {r: e.eui64 for r, e in bench.roles.items()})
    with BenchRuntime(bench, tmp / "bench", board_extra=prov.board_config) as rt:
        yield rt, prov, tmp


@pytest.mark.parametrize("seed", SEEDS)
def test_join_with_ten_percent_loss(runtime, seed):
    rt, prov, tmp = runtime
    for role in rt.roles:
        rt.link(role).call("reset")
    han = HanSession(rt, prov, tmp / f"seed{seed}", seed=seed, impairments=Impairments(loss=0.1))
    try:
        han.prenotify("esme")
        assert han.dcc.add_device(han.chf_eui, han.eui("esme"), prov.install_code("esme"), 90).ok
        han.run_for(1)
        outcome = han.device("esme").join(han.chf.identity.eui_int, timeout=60)
        han.run_for(5)
        assert outcome.joined, outcome
        assert han.smi.status(han.eui("esme")) is Status.INSTALLED_NOT_COMMISSIONED
        assert han.medium.stats.lost + han.medium.stats.retried > 0, "the channel lost nothing: the test proves nothing"
    finally:
        han.close()
