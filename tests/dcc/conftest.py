"""Fixtures for the DCC core tests: RTDS and bench keystores, a test-side device, fresh cores."""
from __future__ import annotations

import pytest
from dcc_fixtures import CHF, ESME, GSME, Device

from harness.dcc.core import DccCore
from harness.dcc.counters import CounterStore
from harness.gbcs.keystore import DirectoryKeyStore
from harness.shared import shared_path
from harness.smki.mint import mint


@pytest.fixture(scope="session")
def rtds_keys() -> DirectoryKeyStore:
    path = shared_path("rtds", "keystore")
    if path is None:
        pytest.skip("shared rtds/keystore is absent")
    return DirectoryKeyStore(path)


@pytest.fixture
def rtds_hex(shared):
    """``rtds_hex('3.3_CS11', 'CS11_3.3_SUCCESS_COMMAND_GBCS.HEX')`` -> the message bytes."""
    def load(directory: str, name: str) -> bytes:
        return bytes.fromhex(shared("rtds", "RTDS-4.5.0", directory, name).read_text().strip())
    return load


@pytest.fixture(scope="session")
def bench_keys(tmp_path_factory) -> DirectoryKeyStore:
    directory = tmp_path_factory.mktemp("smki")
    mint(directory, devices={"esme": ESME.hex(), "gsme": GSME.hex(), "chf": CHF.hex()})
    return DirectoryKeyStore(directory)


@pytest.fixture
def bench_core(bench_keys, tmp_path) -> DccCore:
    return DccCore(bench_keys, CounterStore(tmp_path / "counters.json"))


@pytest.fixture
def esme(bench_keys) -> Device:
    return Device(bench_keys, ESME)

