"""Fixtures for the simulated medium: a virtual clock, a captured medium, a formed Communications Hub."""
from __future__ import annotations

import pytest

from emulators.medium.medium import Impairments, Medium
from harness.capture.capture import Capture
from harness.zse.install_code import link_key
from rig.clock import VirtualClock
from rig.radios.sim import SimRadio

from sim_nodes import CH_EUI, CHANNEL, ESME_EUI, GOOD_CODE, NETWORK_KEY, PAN_ID


@pytest.fixture
def clock():
    return VirtualClock()


@pytest.fixture
def capture(tmp_path):
    cap = Capture(tmp_path / "run.pcap")
    yield cap
    cap.close()


@pytest.fixture
def medium(clock, capture):
    return Medium(clock, seed=7, impairments=Impairments(latency=0.002), capture=capture)


@pytest.fixture
def hub(medium):
    ch = SimRadio(medium, CH_EUI, "chf", channel=CHANNEL)
    ch.form_network(CHANNEL, PAN_ID, NETWORK_KEY)
    return ch


@pytest.fixture
def joined(medium, hub):
    """(hub, esme) with the ESME joined using its install-code key."""
    esme = SimRadio(medium, ESME_EUI, "esme")
    key = link_key(GOOD_CODE)
    hub.permit_joining(ESME_EUI, key, 60)
    esme.join(CH_EUI, key)
    medium.wait_until(lambda: False, 0.05)
    hub.events()
    return hub, esme


@pytest.fixture
def ncps(tmp_path):
    """Emulated NCPs on ptys over one captured medium (its virtual clock follows wall time)."""
    from emulators.ncp.server import PtyNcps
    cap = Capture(tmp_path / "ncp.pcap")
    with PtyNcps(Medium(VirtualClock(), seed=3, capture=cap)) as served:
        yield served
    cap.close()
