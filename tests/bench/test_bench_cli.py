"""`rig bench check` and `rig firmware deploy` on the simulated bench."""
from __future__ import annotations

from click.testing import CliRunner

from firmware.version import FIRMWARE_VERSION
from rig.bench import probe
from rig.bench.model import ROLES
from rig.cli import main


def table_rows(output: str) -> dict[str, list[str]]:
    """Role name -> the row's cells, read from the table `rig bench check` prints."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["role", "kind"])
    rows = {}
    for line in lines[header + 1:]:
        cells = line.split(None, 5)
        if len(cells) >= 6:
            rows[cells[0]] = cells
    return rows


def test_bench_check_lists_six_ready_roles(tmp_path):
    result = CliRunner().invoke(main, ["bench", "check", "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    assert set(rows) == set(ROLES)
    for role, (_, kind, port, firmware, radio, state) in rows.items():
        assert (kind, firmware, radio, state) == ("emulator", FIRMWARE_VERSION, "sim", "ready"), rows[role]
        assert port.startswith("/dev/pts/")


def test_bench_check_exits_non_zero_when_a_board_is_lost(tmp_path, monkeypatch):
    real_make_board = probe.make_board

    class LostBoard:
        """Starts like a simulated board, then is unplugged before it can be probed."""

        def __init__(self, board):
            self.board = board

        def __getattr__(self, name):
            return getattr(self.board, name)

        def start(self):
            self.board.start()
            self.board.kill()

    def make_board(role, workdir):
        board = real_make_board(role, workdir)
        return LostBoard(board) if role.role == "gsme" else board

    monkeypatch.setattr(probe, "make_board", make_board)
    result = CliRunner().invoke(main, ["bench", "check", "--workdir", str(tmp_path)])
    assert result.exit_code == 1
    rows = table_rows(result.output)
    assert rows["gsme"][5] != "ready" and "not running" in rows["gsme"][5]
    assert all(rows[r][5] == "ready" for r in ROLES if r != "gsme")
    assert "not ready: gsme" in result.output


def test_bench_check_reports_a_bad_bench_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[roles.chf]\nkind = "emulator"\nboard = "/dev/ttyNOPE1"\nradio = { kind = "sim" }\n')
    result = CliRunner().invoke(main, ["bench", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: roles.chf.board: port /dev/ttyNOPE1 does not exist" in result.output


def test_bench_check_real_board_without_firmware_is_not_ready(tmp_path, sim_board):
    bench_file = tmp_path / "one.toml"
    bench_file.write_text(f'[roles.esme]\nkind = "emulator"\nboard = "{sim_board.port}"\n'
                          'radio = { kind = "sim" }\n')
    result = CliRunner().invoke(main, ["bench", "check", str(bench_file), "--timeout", "0.5"])
    assert result.exit_code == 1
    assert "not answering" in table_rows(result.output)["esme"][5]


def test_firmware_deploy_one_role(tmp_path):
    result = CliRunner().invoke(main, ["firmware", "deploy", "--role", "esme", "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"esme: hello: firmware {FIRMWARE_VERSION}, role esme" in result.output
    assert "deployed to 1 board(s)" in result.output
    assert (tmp_path / "esme" / "flash" / "config.json").exists()
    assert not (tmp_path / "chf").exists()


def test_firmware_deploy_to_a_serial_board(tmp_path, sim_board):
    port = sim_board.port
    bench_file = tmp_path / "one.toml"
    bench_file.write_text(f'[roles.hht]\nkind = "emulator"\nboard = "{port}"\nradio = {{ kind = "sim" }}\n')
    result = CliRunner().invoke(main, ["firmware", "deploy", str(bench_file)])
    assert result.exit_code == 0, result.output
    assert f"hht: hello: firmware {FIRMWARE_VERSION}, role hht" in result.output
    again = CliRunner().invoke(main, ["bench", "check", str(bench_file)])
    assert again.exit_code == 0, again.output
    assert table_rows(again.output)["hht"][5] == "ready"


def test_bench_check_probes_ezsp_radios_and_reports_failures(tmp_path, monkeypatch):
    import rig.radios.ezsp as ezsp

    calls = []

    def fake_probe(port, baud, flow_control=None):
        calls.append((port, baud, flow_control))
        return False, f"no EZSP NCP on {port}"

    monkeypatch.setattr(ezsp, "probe", fake_probe)
    bench_file = tmp_path / "radio.toml"
    bench_file.write_text('[roles.chf]\nkind = "emulator"\nboard = "sim"\n'
                          'radio = { kind = "ezsp", port = "socket://127.0.0.1:9", baud = 57600, '
                          'flow_control = "hardware" }\n')
    result = CliRunner().invoke(main, ["bench", "check", str(bench_file), "--workdir", str(tmp_path / "w")])
    assert result.exit_code == 1
    assert calls == [("socket://127.0.0.1:9", 57600, "hardware")]
    assert "radio not ready: no EZSP NCP on socket://127.0.0.1:9" in table_rows(result.output)["chf"][5]
