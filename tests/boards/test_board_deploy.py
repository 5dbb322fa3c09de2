"""Deploying the firmware to a simulated board with mpremote, then reading the version back over the board link."""
from __future__ import annotations

import shutil

import pytest

from firmware.version import FIRMWARE_VERSION
from rig.boardlink.errors import HelloMismatch
from rig.boards.deploy import FIRMWARE_DIR, LIB_DIR, board_config, connect_checked, deploy, firmware_files


def test_deploy_then_hello_reports_this_firmware_version(sim_board):
    report = deploy(sim_board.port, board_config("esme", "sim-esme", "0253494D00000003"))
    assert set(report.copied) == set(firmware_files()) | {"/config.json"}
    link = connect_checked(sim_board.port, "esme")
    try:
        assert link.hello.fw == FIRMWARE_VERSION
        assert (link.hello.role, link.hello.board_id, link.hello.eui64) == ("esme", "sim-esme", "0253494D00000003")
    finally:
        link.close()
    assert (sim_board.flash / "main.py").read_bytes() == (FIRMWARE_DIR / "main.py").read_bytes()
    assert (sim_board.flash / LIB_DIR.strip("/") / "version.py").read_bytes() == (FIRMWARE_DIR / "version.py").read_bytes()


def test_redeploy_copies_only_what_changed(sim_board):
    deploy(sim_board.port, board_config("chf", "a", "0253494D00000001"))
    again = deploy(sim_board.port, board_config("chf", "a", "0253494D00000001"))
    assert again.copied == []
    changed = deploy(sim_board.port, board_config("gpf", "a", "0253494D00000001"))
    assert changed.copied == ["/config.json"]
    link = connect_checked(sim_board.port, "gpf")
    link.close()


def test_stale_firmware_files_are_removed(sim_board):
    stale = sim_board.flash / "lib" / "firmware" / "gone.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("x = 1\n")
    report = deploy(sim_board.port, board_config("hht", "h", "0253494D00000006"))
    assert report.removed == ["/lib/firmware/gone.py"]
    assert not stale.exists()


def test_version_mismatch_in_hello_is_reported(sim_board, tmp_path):
    root = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "version.py").write_text('FIRMWARE_VERSION = "0.0.0-old"\n')
    deploy(sim_board.port, board_config("esme", "e", "0253494D00000003"), root=root)
    with pytest.raises(HelloMismatch) as err:
        connect_checked(sim_board.port, "esme")
    assert "0.0.0-old" in str(err.value) and FIRMWARE_VERSION in str(err.value)


def test_wrong_role_in_hello_is_reported(sim_board):
    deploy(sim_board.port, board_config("gsme", "g", "0253494D00000004"))
    with pytest.raises(HelloMismatch) as err:
        connect_checked(sim_board.port, "esme")
    assert "gsme" in str(err.value)


def test_board_config_extra_fields_cannot_override_identity():
    import json

    config = json.loads(board_config("esme", "b1", "0253494D00000003", {"role": "chf", "gbcs": {"id": 7}}))
    assert config == {"role": "esme", "board_id": "b1", "eui64": "0253494D00000003", "gbcs": {"id": 7}}
