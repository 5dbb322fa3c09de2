"""Both UI adapters (an emulated board over its link, a real device through the operator) match the interface and
do what it says: the board's firmware takes the keys and shows its display; the operator is asked, and no answer
in time is the bench's fault."""
from __future__ import annotations

import inspect
import os

import pytest

from harness.errors import BoardLost, RigTimeout
from harness.ui.board import BoardUi
from harness.ui.operator import Console, OperatorUi
from harness.ui.plugins import available, real_device_ui
from harness.ui.protocol import UiAdapter
from ptyboard import PtyBoard
from rig.boardlink import BoardLink
from rig.boards.sim import micropython_executable


@pytest.mark.parametrize("cls", [BoardUi, OperatorUi])
def test_both_adapters_match_the_interface(cls):
    for name in ("press", "display", "supply"):
        assert inspect.signature(getattr(cls, name)).parameters.keys() == \
            inspect.signature(getattr(UiAdapter, name)).parameters.keys()


@pytest.fixture
def esme_link(tmp_path):
    try:
        micropython_executable()
    except BoardLost as exc:
        pytest.skip(str(exc))
    with PtyBoard(tmp_path, {"role": "esme", "board_id": "esme-ui", "eui64": "0011223344556677"}) as board:
        board.start()
        with BoardLink(board.port) as link:
            link.connect(expect_role="esme", timeout=5)
            yield link


def test_board_ui_drives_the_firmware(esme_link):
    ui = BoardUi("esme", esme_link)
    assert isinstance(ui, UiAdapter)
    assert ui.display().startswith("ESME SUPPLY ON") and ui.supply() is True
    ui.press("123")
    assert ui.display() == "> 123"
    ui.press("*")
    assert "CREDIT 0.00" in ui.display()
    esme_link.call("relay.set", on=False)      # the supplier's disconnect, as the DCC would cause it
    assert ui.supply() is False
    with pytest.raises(ValueError, match="not a keypad key"):
        ui.press("12a")


@pytest.fixture
def console():
    read_fd, write_fd = os.pipe()
    answers, feed = os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w")
    out = open(os.devnull, "w")
    yield Console(answers, out, timeout=0.5), feed
    for f in (answers, feed, out):
        f.close()


def test_operator_ui_asks_and_reads_the_answers(console):
    con, feed = console
    ui = OperatorUi("gsme", con)
    assert isinstance(ui, UiAdapter)
    feed.write("\nGSME CREDIT 5.00\ny\n")
    feed.flush()
    ui.press("12#")
    assert ui.display() == "GSME CREDIT 5.00" and ui.supply() is True


def test_operator_silence_is_a_bench_timeout(console):
    con, _ = console
    with pytest.raises(RigTimeout, match="no answer from the operator"):
        OperatorUi("esme", con).display()


def test_unknown_ui_kind_is_refused():
    assert "operator" in available()
    with pytest.raises(ValueError, match="no UI adapter 'nope'"):
        real_device_ui("esme", "nope", timeout=1)
