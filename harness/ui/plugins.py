"""UI adapters for real devices: the operator prompt, or a vendor's test-interface plugin found by entry point."""
from __future__ import annotations

import sys
from importlib.metadata import entry_points

from harness.errors import InputError
from harness.ui.operator import Console, OperatorUi
from harness.ui.protocol import ENTRY_POINT_GROUP, UiAdapter

OPERATOR = "operator"


def available() -> list[str]:
    """The UI kinds a bench may name for a real device: 'operator' and the installed vendor plugins."""
    return [OPERATOR, *sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))]


def real_device_ui(role: str, kind: str, *, timeout: float) -> UiAdapter:
    """The adapter `kind` for the real device playing `role`."""
    if kind == OPERATOR:
        return OperatorUi(role, Console(sys.stdin, sys.stderr, timeout))
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == kind]
    if not found:
        raise InputError(f"no UI adapter {kind!r} (known: {', '.join(available())})", field="ui")
    adapter = found[0].load()(role)
    if not isinstance(adapter, UiAdapter):
        raise InputError(f"UI plugin {kind!r} does not give a UI adapter (press, display, supply)", field="ui")
    return adapter
