"""The plugin's tests run tiny fake conformance suites with pytest's own `pytester`."""
import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.import_plugin("pytester")
