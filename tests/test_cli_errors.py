"""Every `rig` command reports a usage error in one line naming the command, and exits 2."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from rig.cli import main


@pytest.mark.parametrize("args, message", [
    (["nosuch"], "rig: error: No such command 'nosuch'."),
    (["run", "--bogus"], "rig run: error: No such option '--bogus'."),
    (["run", "--workers", "0"], "rig run: error: Invalid value for '--workers': 0 is not in the range x>=1."),
    (["zse", "cert"], "rig zse cert: error: Missing argument 'HEX'."),
    (["gbcs", "decode"], "rig gbcs decode: error: Missing argument 'HEX|FILE|-...'."),
    (["gbcs", "utrn", "check"], "rig gbcs utrn check: error: Missing argument 'UTRN'."),
    (["smki", "init"], "rig smki init: error: Missing argument 'DIRECTORY'."),
    (["firmware", "deploy", "--role", "boss"],
     "rig firmware deploy: error: Invalid value for '--role': 'boss' is not one of"),
    (["bench", "check", "--timeout", "soon"],
     "rig bench check: error: Invalid value for '--timeout': 'soon' is not a valid float"),
])
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith(message), result.output
