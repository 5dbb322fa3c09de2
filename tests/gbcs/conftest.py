"""Fixtures for the GBCS codec tests: the visible RTDS files and their keystore (skipped when absent)."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.gbcs.keystore import DirectoryKeyStore


def read_hex(path: Path) -> bytes:
    return bytes.fromhex("".join(path.read_text().split()))


@pytest.fixture(scope="session")
def rtds_root() -> Path:
    from harness.shared import shared_path

    path = shared_path("rtds", "RTDS-4.5.0")
    if path is None:
        pytest.skip("shared material rtds/RTDS-4.5.0 is absent (expected ../shared, or set RIG_SHARED)")
    return path


@pytest.fixture(scope="session")
def rtds(rtds_root: Path) -> dict[str, bytes]:
    """Every visible RTDS file: name -> bytes."""
    return {p.name: read_hex(p) for p in sorted(rtds_root.rglob("*.HEX"))}


@pytest.fixture(scope="session")
def keystore() -> DirectoryKeyStore:
    from harness.shared import shared_path

    path = shared_path("rtds", "keystore")
    if path is None:
        pytest.skip("shared material rtds/keystore is absent (expected ../shared, or set RIG_SHARED)")
    return DirectoryKeyStore(path)
