"""pytest plugin of the conformance rig (the entry point): its options, and the modules that do the work
(`harness.plugin`: markers and collection checks, fixtures, verdict reporting, evidence; `session` holds the run).

Options: ``--bench FILE|sim`` (default ``sim``), ``--results DIR`` (default ``<rootdir>/results/<run id>``),
``--defect ROLE:NAME``, ``--loss P``/``--seed S`` (the simulated medium's loss, over the bench file's), ``--dut ROLE`` (seal the emulated ROLE as the device under test), ``--ui ROLE:KIND`` and
``--policy NAME=VALUE`` (for a real device under test). The ini setting ``conformance_paths`` (default
``tests/conformance``) says where conformance tests live: each must carry ``@pytest.mark.scenario(<ids>)`` and
``@pytest.mark.clause("BAD 7.2.1.6.7")`` or collection fails; scenario ids are checked against ``scenarios.json``
when the shared material is present. Conformance tests get a verdict (see `harness.verdicts`), one live progress
line each, an entry in run.json and junit.xml, an evidence folder, and a summary table at the end.

Fixtures: ``bench_model``, ``bench``, ``clock``, ``provisioning``, ``defects``, ``han``, ``ui``, ``evidence``
(`harness.plugin.fixtures`). A test whose ``roles`` are not on the bench, or that would have to emulate a role the
bench has as a real or sealed DUT, is skipped (markers on a ``pytest.param`` give each parametrised case its own
roles); a test the rig cannot run on this bench yet raises `NotSupportedYet`, recorded as such in run.json.

Load with ``-p harness.pytest_plugin`` (what `rig run` does) or as the pytest11 entry point. When imported late
(from a conftest at configure time) the options take their defaults.
"""
from __future__ import annotations

import pytest

from harness.plugin.evidence import KEEPER_KEY, EvidenceKeeper
from harness.plugin.reporting import VerdictReporter
from harness.plugin.session import SESSION_KEY, NotSupportedYet, RunSession

__all__ = ["NotSupportedYet"]  # for suites that meet a bench the rig cannot run them on yet

pytest_plugins = ("harness.plugin.markers", "harness.plugin.fixtures")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rig", "GB HAN conformance rig")
    group.addoption("--bench", default="sim", metavar="FILE|sim",
                    help="bench description (TOML file) or 'sim' for the built-in simulated bench (default)")
    group.addoption("--results", default=None, metavar="DIR",
                    help="folder for run.json, junit.xml and evidence (default <rootdir>/results/<run id>)")
    group.addoption("--defect", action="append", default=[], metavar="ROLE:NAME",
                    help="make an emulated role misbehave in the named way (defect injection; repeatable)")
    group.addoption("--shard", default=None, metavar="K/N",
                    help="run only the selected tests K, K+N, K+2N... (0-based): worker K of rig run --workers N")
    group.addoption("--loss", type=float, default=None, metavar="P",
                    help="probability the simulated medium loses a frame (overrides the bench file's [radio] loss)")
    group.addoption("--seed", type=int, default=None, metavar="S",
                    help="seed of the simulated medium's losses (overrides the bench file's [radio] seed)")
    group.addoption("--store", default=None, metavar="PATH|URL",
                    help="also record the run into this results store (SQLite file or postgresql:// URL)")
    group.addoption("--dut", action="append", default=[], metavar="ROLE", dest="rig_dut",
                    help="run the emulator of ROLE sealed, as the device under test: tests that may judge ROLE run "
                         "with no handle on its insides, the others SKIP (repeatable)")
    group.addoption("--ui", action="append", default=[], metavar="ROLE:KIND", dest="rig_ui",
                    help="UI adapter of a real device under test: 'operator' (prompts at this console) or a vendor "
                         "plugin's name (entry point group gb_han_rig.ui)")
    group.addoption("--policy", action="append", default=[], metavar="NAME=VALUE", dest="rig_policy",
                    help="a bench policy a real CH under test follows, e.g. join_period_source=device (default: "
                         "the BAD's reading); tests needing the other SKIP")
    group.addoption("--allow-long", action="store_true", default=False,
                    help="on a bench that runs in real time, also run tests that wait longer than its long_limit")
    parser.addini("conformance_paths", type="linelist", default=["tests/conformance"],
                  help="folders (relative to rootdir, or absolute) holding conformance tests")


def pytest_configure(config: pytest.Config) -> None:
    run = RunSession(config)
    keeper = EvidenceKeeper(run)
    config.stash[SESSION_KEY] = run
    config.stash[KEEPER_KEY] = keeper
    config.pluginmanager.register(keeper, "rig-evidence")
    config.pluginmanager.register(VerdictReporter(run, keeper), "rig-verdicts")
    if config.getoption("--store", None):
        from harness.store.recorder import StoreRecorder

        config.pluginmanager.register(StoreRecorder(run, config.getoption("--store")), "rig-results-store")
