"""Conformance suites run under the rig's pytest plugin (`harness.pytest_plugin`): bench fixtures, the
scenario/clause/roles/dut markers, verdicts, evidence and the results folder.

The plugin is imported here at configure time rather than with `pytest_plugins`, which pytest forbids in a
conftest below the rootdir when the whole `tests/` tree is collected. `rig run` loads it with `-p`, so its
options (`--bench`, `--results`) are always there; a plain `pytest tests/conformance` takes them once the
plugin is installed as a pytest11 entry point (or with `-p harness.pytest_plugin`).
"""
import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.import_plugin("harness.pytest_plugin")
