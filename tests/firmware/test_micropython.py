"""Run every firmware unit-test module (tests/firmware/test_fw_*.py) under the MicroPython unix port too."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.shared import PROJECT_ROOT, shared_dir

HERE = Path(__file__).parent
MODULES = sorted(p.stem for p in HERE.glob("test_fw_*.py"))
MICROPYTHON = shutil.which("micropython", path=str(Path(sys.executable).parent)) or shutil.which("micropython")


@pytest.mark.skipif(MICROPYTHON is None, reason="the micropython unix port is not installed")
@pytest.mark.parametrize("module", MODULES)
def test_module_under_micropython(module: str) -> None:
    env = dict(os.environ)
    shared = shared_dir()
    if shared is not None:
        env["RIG_SHARED"] = str(shared)
    proc = subprocess.run(
        [MICROPYTHON, "-X", "heapsize=4M", str(HERE / "mp_runner.py"), str(PROJECT_ROOT), module],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 failed" in proc.stdout
