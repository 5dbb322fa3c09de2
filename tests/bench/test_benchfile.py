"""Bench files: the examples load, and every mistake gets a message naming the file, the field and what was expected."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from rig.bench.benchfile import BenchFileError, load_bench, parse_bench
from rig.bench.builtin import resolve_bench, sim_bench
from rig.bench.identifiers import parse_eui64, parse_install_code
from rig.bench.model import ROLES, Dut, Emulator

BENCHES = Path(__file__).resolve().parents[2] / "hardware" / "benches"

GOOD_EMULATOR = 'kind = "emulator"\nboard = "sim"\nradio = { kind = "sim" }\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bench.toml"
    path.write_text(textwrap.dedent(text))
    return path


def error_for(tmp_path: Path, text: str) -> BenchFileError:
    path = write(tmp_path, text)
    with pytest.raises(BenchFileError) as err:
        load_bench(path)
    assert str(err.value).startswith(f"{path}: "), "the message must name the file"
    return err.value


def test_builtin_sim_bench_has_seven_emulated_roles_on_simulated_boards_and_radios():
    bench = resolve_bench(None)
    assert tuple(bench.roles) == ROLES
    for role in bench.roles.values():
        assert isinstance(role, Emulator) and role.simulated and role.radio.simulated
    assert len({role.eui64 for role in bench.roles.values()}) == len(ROLES)


def test_sim_toml_describes_the_same_roles_as_the_builtin_bench():
    from_file = load_bench(BENCHES / "sim.toml")
    builtin = sim_bench()
    assert set(from_file.roles) == set(builtin.roles)
    assert all(r.simulated and r.radio.simulated for r in from_file.emulators().values())


def test_example_hardware_benches_parse():
    usb = load_bench(BENCHES / "usb-two-boards.toml", check_files=False)
    assert {name: role.kind for name, role in usb.roles.items()} == {"chf": "emulator", "esme": "emulator"}
    assert usb.roles["esme"].reset == "dtr" and not usb.roles["esme"].radio.simulated
    assert set(usb.sniffers) == {"capture"}
    dut = load_bench(BENCHES / "dut-esme.toml", check_files=False)
    esme = dut.roles["esme"]
    assert isinstance(esme, Dut) and esme.via == "chf"
    assert set(esme.certificates) == {"zse", "gbcs_ds", "gbcs_ka"}


def test_missing_field(tmp_path):
    err = error_for(tmp_path, '[roles.chf]\nkind = "emulator"\nradio = { kind = "sim" }\n')
    assert err.field == "roles.chf.board"
    assert "roles.chf.board: missing; expected a serial port path, a pyserial URL or \"sim\"" in str(err)


def test_wrong_type(tmp_path):
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + 'baud = "fast"\n')
    assert err.field == "roles.chf.baud"
    assert "is a string 'fast'; expected a positive integer" in str(err)


def test_boolean_is_not_an_integer(tmp_path):
    err = error_for(tmp_path, '[bench]\nchannel = true\n[roles.chf]\n' + GOOD_EMULATOR)
    assert err.field == "bench.channel" and "is a boolean" in str(err)


def test_unknown_role(tmp_path):
    err = error_for(tmp_path, '[roles.meter]\n' + GOOD_EMULATOR)
    assert err.field == "roles.meter"
    assert "unknown role; expected one of chf, gpf, esme, gsme, ppmid, hht" in str(err)


def test_unknown_field_is_named(tmp_path):
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + 'bord = "x"\n')
    assert err.field == "roles.chf.bord" and "unknown field" in str(err)


def test_local_port_that_does_not_exist(tmp_path):
    err = error_for(tmp_path, '[roles.esme]\nkind = "emulator"\nboard = "/dev/ttyNOPE9"\nradio = { kind = "sim" }\n')
    assert err.field == "roles.esme.board"
    assert "port /dev/ttyNOPE9 does not exist" in str(err) and "plugged in" in str(err)


def test_radio_port_that_does_not_exist(tmp_path):
    err = error_for(tmp_path, '[roles.chf]\nkind = "emulator"\nboard = "sim"\n'
                              'radio = { kind = "ezsp", port = "/dev/ttyNOPE8" }\n')
    assert err.field == "roles.chf.radio.port"


def test_network_urls_are_not_checked_as_paths(tmp_path):
    bench = load_bench(write(tmp_path, '[roles.chf]\nkind = "emulator"\nboard = "socket://10.0.0.5:4000"\n'
                                       'radio = { kind = "ezsp", port = "rfc2217://10.0.0.5:4001", baud = 57600 }\n'))
    chf = bench.roles["chf"]
    assert chf.board == "socket://10.0.0.5:4000" and chf.radio.baud == 57600


def test_existing_local_port_is_accepted(tmp_path):
    device = tmp_path / "ttyFAKE"
    device.write_text("")
    bench = load_bench(write(tmp_path, f'[roles.chf]\nkind = "emulator"\nboard = "{device}"\nradio = {{ kind = "sim" }}\n'))
    assert bench.roles["chf"].board == str(device)


def test_bad_eui64(tmp_path):
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + 'eui64 = "00:11:22"\n')
    assert err.field == "roles.chf.eui64" and "expected 16 hex digits" in str(err)


def test_dut_install_code_crc_is_checked(tmp_path, shared):
    vectors = json.loads(shared("vectors", "install-codes.json").read_text())["vectors"]
    for vector in vectors:
        assert parse_install_code(vector["install_code"]).hex().upper() == vector["install_code"]
    good = vectors[0]["install_code"]
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    text = ('[roles.chf]\n' + GOOD_EMULATOR + '[roles.esme]\nkind = "dut"\neui64 = "000D6F000ABCDEF0"\n'
            f'install_code = "{bad}"\nvia = "chf"\n')
    err = error_for(tmp_path, text)
    assert err.field == "roles.esme.install_code" and "CRC" in str(err)


def test_dut_install_code_length(tmp_path):
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + '[roles.esme]\nkind = "dut"\n'
                              'eui64 = "000D6F000ABCDEF0"\ninstall_code = "112233"\nvia = "chf"\n')
    assert "expected 6, 8, 12 or 16 bytes plus a 2-byte CRC" in str(err)


def test_dut_via_must_name_an_emulator(tmp_path):
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + '[roles.esme]\nkind = "dut"\n'
                              'eui64 = "000D6F000ABCDEF0"\ninstall_code = "83FED3407A939723A5C639B26916D505C3B5"\n'
                              'via = "gpf"\n')
    assert err.field == "roles.esme.via" and "expected an emulator role on this bench (chf)" in str(err)


def test_dut_certificate_file_must_exist(tmp_path):
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + '[roles.esme]\nkind = "dut"\n'
                              'eui64 = "000D6F000ABCDEF0"\ninstall_code = "83FED3407A939723A5C639B26916D505C3B5"\n'
                              'via = "chf"\ncertificates = { zse = "certs/none.cert" }\n')
    assert err.field == "roles.esme.certificates.zse" and "does not exist" in str(err)


DUT_ESME = ('[roles.esme]\nkind = "dut"\neui64 = "000D6F000ABCDEF0"\n'
            'install_code = "83FED3407A939723A5C639B26916D505C3B5"\nvia = "chf"\n')


def test_device_identities(tmp_path):
    """A real DUT's manufacturer, model and firmware version, and the release an emulated role reports."""
    bench = load_bench(write(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + 'firmware_version = "1.1"\n' + DUT_ESME +
                             'manufacturer = "Acme Meters"\nmodel = "ESME-3"\nfirmware_version = "2.1.0"\n'))
    esme, chf = bench.roles["esme"], bench.roles["chf"]
    assert (esme.manufacturer, esme.model, esme.firmware_version) == ("Acme Meters", "ESME-3", "2.1.0")
    assert chf.firmware_version == "1.1"
    bare = load_bench(write(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + DUT_ESME))
    assert (bare.roles["esme"].model, bare.roles["chf"].firmware_version) == (None, None)


@pytest.mark.parametrize("line,field", [('model = ""', "model"), ("firmware_version = 2", "firmware_version"),
                                        (f'manufacturer = "{"x" * 129}"', "manufacturer"),
                                        ('model = "E\\n3"', "model")])
def test_bad_device_identity(tmp_path, line, field):
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + DUT_ESME + line + "\n")
    assert err.field == f"roles.esme.{field}", str(err)


def test_not_toml_and_missing_file(tmp_path):
    assert "is not valid TOML" in str(error_for(tmp_path, "[roles\n"))
    with pytest.raises(BenchFileError, match="no such bench file"):
        load_bench(tmp_path / "absent.toml")


def test_eui64_forms():
    assert parse_eui64("00:0d:6f:00:0a:bc:de:f0") == parse_eui64("000D6F000ABCDEF0") == "000D6F000ABCDEF0"
    with pytest.raises(ValueError):
        parse_eui64("000D6F000ABCDEFG")


toml_values = st.recursive(
    st.one_of(st.booleans(), st.integers(-5, 100000), st.text(max_size=12),
              st.sampled_from(["sim", "ezsp", "emulator", "dut", "chf", "/dev/null", "socket://h:1"])),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(["kind", "board", "radio", "port", "baud", "via",
                                                                "eui64", "install_code", "chf", "esme", "roles",
                                                                "bench", "name", "channel", "sniffers", "x"]),
                                               children, max_size=5)),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["bench", "roles", "sniffers", "other"]), toml_values, max_size=3))
def test_any_structure_gives_a_bench_or_a_bench_file_error(data):
    try:
        parse_bench(data, source="fuzz.toml", base=Path("."))
    except BenchFileError as e:
        assert str(e).startswith("fuzz.toml")


def test_default_emulator_eui64s_match_the_builtin_bench():
    from_file = load_bench(BENCHES / "sim.toml")
    builtin = sim_bench()
    assert {r: e.eui64 for r, e in from_file.roles.items()} == {r: e.eui64 for r, e in builtin.roles.items()}


def test_ezsp_flow_control(tmp_path):
    """WIRING.md: the dongles use hardware flow control; the bench file says so per radio (defect 12)."""
    radio = 'radio = {{ kind = "ezsp", port = "socket://10.0.0.5:4001", flow_control = "{}" }}\n'
    bench = load_bench(write(tmp_path, '[roles.chf]\nkind = "emulator"\nboard = "sim"\n' + radio.format("hardware")))
    assert bench.roles["chf"].radio.flow_control == "hardware"
    err = error_for(tmp_path, '[roles.chf]\nkind = "emulator"\nboard = "sim"\n' + radio.format("rts"))
    assert err.field == "roles.chf.radio.flow_control"



def test_long_limit(tmp_path):
    """Seconds of waits a test may make on a real-time bench without --allow-long: a positive number."""
    ezsp = '[roles.chf]\nkind = "emulator"\nboard = "sim"\nradio = { kind = "ezsp", port = "socket://10.0.0.5:4001" }\n'
    bench = load_bench(write(tmp_path, '[bench]\nlong_limit = 120\n' + ezsp))
    assert bench.long_limit == 120.0 and bench.real_time
    assert load_bench(write(tmp_path, ezsp)).long_limit == 15 * 60
    for bad in ("0", "-5", "true", '"1h"'):
        assert error_for(tmp_path, f'[bench]\nlong_limit = {bad}\n' + ezsp).field == "bench.long_limit"


DUT_ESME = ('[roles.esme]\nkind = "dut"\neui64 = "000D6F000ABCDEF0"\n'
            'install_code = "83FED3407A939723A5C639B26916D505C3B5"\nvia = "chf"\n')


def test_two_roles_sharing_an_eui64(tmp_path):
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + 'eui64 = "000D6F000ABCDEF0"\n' + DUT_ESME)
    assert err.field == "roles.esme.eui64"
    assert "000D6F000ABCDEF0 is also roles.chf's EUI-64; every role needs its own" in str(err)


def test_two_roles_on_one_port(tmp_path):
    board = 'kind = "emulator"\nboard = "socket://127.0.0.1:7001"\nradio = { kind = "sim" }\n'
    err = error_for(tmp_path, '[roles.chf]\n' + board + '[roles.esme]\n' + board)
    assert err.field == "roles.esme.board" and "is also roles.chf.board" in str(err)


def test_two_links_to_one_serial_device_are_one_port(tmp_path):
    (tmp_path / "ttyACM0").touch()
    (tmp_path / "by-id-chf").symlink_to(tmp_path / "ttyACM0")
    err = error_for(tmp_path, f'[roles.chf]\nkind = "emulator"\nboard = "{tmp_path / "by-id-chf"}"\n'
                              f'radio = {{ kind = "ezsp", port = "{tmp_path / "ttyACM0"}" }}\n')
    assert err.field == "roles.chf.radio.port" and "every board and radio needs its own port" in str(err)


@pytest.mark.parametrize("heap, problem", [("1K", "a board needs at least 128K to boot the firmware"),
                                           ("64K", "a board needs at least 128K"),
                                           ("9000M", "expected at most 64M"),
                                           ("lots", "expected a heap size such as")])
def test_heap_a_board_cannot_boot_with(tmp_path, heap, problem):
    err = error_for(tmp_path, f'[roles.chf]\n{GOOD_EMULATOR}heapsize = "{heap}"\n')
    assert err.field == "roles.chf.heapsize" and problem in str(err)


def test_placeholder_certificate_file(tmp_path):
    (tmp_path / "esme-zse.cert").write_text("put the meter's certificate here\n")
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + DUT_ESME
                    + 'certificates = { zse = "esme-zse.cert" }\n')
    assert err.field == "roles.esme.certificates.zse" and "is not a ZSE certificate" in str(err)


def test_zse_certificate_of_another_device(tmp_path):
    from harness.zse.bench_ca import BenchCA

    ca = BenchCA(2)
    (tmp_path / "other.cert").write_text(ca.issue(bytes.fromhex("000D6F0000000001")).cert_bytes.hex())
    (tmp_path / "own.cert").write_bytes(ca.issue(bytes.fromhex("000D6F000ABCDEF0")).cert_bytes)
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + DUT_ESME + 'certificates = { zse = "other.cert" }\n')
    assert err.field == "roles.esme.certificates.zse"
    assert "is the certificate of 000D6F0000000001, not of this device (000D6F000ABCDEF0)" in str(err)
    own = '[roles.chf]\n' + GOOD_EMULATOR + DUT_ESME + 'certificates = { zse = "own.cert" }\n'
    bench = load_bench(write(tmp_path, own))
    assert bench.roles["esme"].certificates["zse"] == tmp_path / "own.cert"


def test_gbcs_certificates_must_parse_and_name_the_device(tmp_path):
    from harness.smki.mint import mint

    mint(tmp_path / "smki", {"esme": "000D6F000ABCDEF0", "gsme": "000D6F0000000002"})
    ds, other = tmp_path / "smki" / "000d6f000abcdef0-ds.pem", tmp_path / "smki" / "000d6f0000000002-ka.pem"
    text = ('[roles.chf]\n' + GOOD_EMULATOR + DUT_ESME
            + f'certificates = {{ gbcs_ds = "{ds}", gbcs_ka = "{other}" }}\n')
    err = error_for(tmp_path, text)
    assert err.field == "roles.esme.certificates.gbcs_ka" and "not of this device" in str(err)
    (tmp_path / "junk.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    err = error_for(tmp_path, '[roles.chf]\n' + GOOD_EMULATOR + DUT_ESME + 'certificates = { gbcs_ds = "junk.pem" }\n')
    assert err.field == "roles.esme.certificates.gbcs_ds" and "is not an X.509 certificate" in str(err)


def test_radio_conditions(tmp_path):
    bench = load_bench(write(tmp_path, f"[radio]\nloss = 0.1\nseed = 7\n[roles.chf]\n{GOOD_EMULATOR}"))
    assert (bench.loss, bench.seed) == (0.1, 7)
    plain = load_bench(write(tmp_path, f"[roles.chf]\n{GOOD_EMULATOR}"))
    assert (plain.loss, plain.seed) == (0.0, 1)


@pytest.mark.parametrize("table, field", [("loss = 1.0", "radio.loss"), ("loss = -0.1", "radio.loss"),
                                          ("loss = true", "radio.loss"), ('seed = "7"', "radio.seed"),
                                          ("gain = 3", "radio.gain")])
def test_bad_radio_conditions(tmp_path, table, field):
    err = error_for(tmp_path, f"[radio]\n{table}\n[roles.chf]\n{GOOD_EMULATOR}")
    assert err.field == field
