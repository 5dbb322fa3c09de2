"""The import layers hold (read from the source, imports inside functions included):

    firmware      imports nothing of ours (it runs on the board: MicroPython, its own crypto)
    harness       codecs, crypto, DCC core, capture, UI adapters, verdicts: nothing of rig or emulators
                  (only the pytest plugin, which sits on top, may use them)
    emulators     harness, and of rig only its protocols, clock and board link (and the simulated radio, which is
                  the emulated EZSP NCP's air side)
    rig           orchestration and the CLI, on top of everything
    tests/        nothing of the project imports a test module
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("firmware", "harness", "emulators", "rig", "tests")
PLUGIN = ("harness.pytest_plugin", "harness.plugin")   # the pytest plugin: the top of the harness
EMULATOR_RIG = ("rig.radios.protocol", "rig.clock", "rig.boardlink", "rig.radios.sim")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Absolute module names `path` imports (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.add(node.module)
    return {name for name in found if name.split(".")[0] in OURS}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def forbidden(importer: str, imported: str) -> str | None:
    """Why `importer` may not import `imported` (None when it may)."""
    top, target = importer.split(".")[0], imported.split(".")[0]
    if target == "tests" and top != "tests":
        return "production code imports a test module"
    if top == "firmware" and target != "firmware":
        return "firmware imports nothing of ours"
    if top == "harness" and not _within(importer, PLUGIN) and target in ("rig", "emulators"):
        return "harness (codecs, crypto, DCC, capture, UI, verdicts) imports nothing of rig or emulators"
    if top == "harness" and not _within(importer, PLUGIN) and _within(imported, PLUGIN):
        return "only the plugin sits on top of the harness"
    if top == "emulators" and target == "rig" and not _within(imported, EMULATOR_RIG):
        return "emulators use only rig's protocols, clock, board link and simulated radio"
    return None


def production_modules() -> list[Path]:
    return sorted(p for top in ("firmware", "harness", "emulators", "rig") for p in (ROOT / top).rglob("*.py"))


def test_the_layers_hold():
    broken = [f"{module_name(path)} -> {name}: {why}" for path in production_modules() for name in sorted(imports(path))
              if (why := forbidden(module_name(path), name))]
    assert not broken, "import layering broken:\n" + "\n".join(broken)


@pytest.mark.parametrize("importer,imported,allowed", [
    ("firmware.roles.chf", "firmware.gbcs.frame", True),
    ("firmware.app", "harness.gbcs.apdu", False),
    ("harness.capture.verify", "harness.zigbee.mac", True),
    ("harness.dcc.han", "rig.clock", False),
    ("harness.pytest_plugin", "rig.han_session", True),
    ("emulators.chf", "rig.boardlink", True),
    ("emulators.chf", "rig.bench.runtime", False),
    ("rig.han_session", "emulators.chf", True),
    ("rig.boards.sim", "tests.ptyboard", False),
])
def test_the_rules_say_what_the_docstring_says(importer, imported, allowed):
    assert (forbidden(importer, imported) is None) is allowed


def test_no_test_doubles_in_production_code():
    """Production packages hold no test-named modules (test doubles live under tests/)."""
    named = [str(p.relative_to(ROOT)) for p in production_modules()
             if p.name.startswith("test_") or p.stem.startswith(("fake", "mock", "stub"))]
    assert not named, f"test-named modules in production code: {named}"
