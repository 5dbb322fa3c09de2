"""The run capture: pcap structure, flushing, keys files, and tshark decoding (NWK- and APS-decrypted frames)."""
from __future__ import annotations

import shlex
import shutil
import struct
import subprocess

import pytest

from emulators.medium.medium import Medium
from harness.capture.capture import Capture
from harness.capture.keys import CaptureKeys
from harness.capture.pcap import (LINKTYPE_IEEE802_15_4_NOFCS, LINKTYPE_IEEE802_15_4_WITHFCS, PcapWriter, parse_pcap,
                                  read_pcap)
from harness.errors import InputError
from harness.zigbee.mac import fcs
from harness.zse.install_code import link_key
from rig.clock import VirtualClock
from rig.radios.sim import SimRadio

CH, ESME = 0x0A0B0C0D0E0F1011, 0x0A0B0C0D0E0F1012
NETWORK_KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B269161802AEBB")


def test_pcap_global_header_and_records(tmp_path):
    path = tmp_path / "a.pcap"
    with PcapWriter(path) as w:
        w.write(1767225600.25, b"\x02\x00\x07")
        w.write(1767225601.000001, b"\x02\x00\x08")
    raw = path.read_bytes()
    assert struct.unpack("<IHHiIII", raw[:24]) == (0xA1B23C4D, 2, 4, 0, 0, 0xFFFF, 195)    # nanosecond pcap
    assert struct.unpack("<IIII", raw[24:40]) == (1767225600, 250_000_000, 5, 5)
    assert raw[40:45] == b"\x02\x00\x07" + fcs(b"\x02\x00\x07")
    linktype, records = read_pcap(path)
    assert linktype == LINKTYPE_IEEE802_15_4_WITHFCS
    assert [(t, d[:3]) for t, d in records] == [(1767225600.25, b"\x02\x00\x07"),
                                                (1767225601.000001, b"\x02\x00\x08")]


def test_a_frame_reads_back_at_exactly_the_time_it_was_sent(tmp_path):
    """A frame sent the instant a test noted the clock is not before that instant (a microsecond pcap put one at
    1767225627.8276892 at .827689, so a PPMID's top-up sent as the UTRN was typed was not found after it)."""
    times = [1767225627.8276892, 1767225624.4280024, 1767225600.9999999999, 1767225600.0000000004, 12.5]
    with PcapWriter(tmp_path / "t.pcap") as w:
        for t in times:
            w.write(t, b"\x02\x00\x07")
    assert [t for t, _ in read_pcap(tmp_path / "t.pcap")[1]] == times


def test_a_microsecond_pcap_is_still_read(tmp_path):
    path = tmp_path / "u.pcap"
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 0xFFFF, 230)
                     + struct.pack("<IIII", 7, 250000, 1, 1) + b"\x02")
    assert read_pcap(path) == (230, [(7.25, b"\x02")])


def test_nofcs_link_type(tmp_path):
    with PcapWriter(tmp_path / "b.pcap", LINKTYPE_IEEE802_15_4_NOFCS) as w:
        w.write(0.0, b"\x02\x00\x07")
    assert read_pcap(tmp_path / "b.pcap") == (230, [(0.0, b"\x02\x00\x07")])


def test_each_frame_is_on_disk_before_close(tmp_path):
    w = PcapWriter(tmp_path / "c.pcap")
    w.write(1.0, b"\x02\x00\x01")
    assert len(read_pcap(tmp_path / "c.pcap")[1]) == 1      # readable while still open (a crash loses nothing)
    w.close()


@pytest.mark.parametrize("data,field", [
    (b"\xd4\xc3", "global_header"),
    (b"\x00" * 24, "magic"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 0xFFFF, 195) + b"\x00" * 10, "record_header"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 0xFFFF, 195) + struct.pack("<IIII", 0, 0, 9, 9) + b"\x00", "record_data"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 0xFFFF, 195) + struct.pack("<IIII", 0, 2_000_000, 0, 0), "ts_usec"),
])
def test_malformed_pcap_is_a_typed_error(data, field):
    with pytest.raises(InputError) as err:
        parse_pcap(data)
    assert err.value.field == field


def test_keys_files(tmp_path):
    keys = CaptureKeys(tmp_path / "run.pcap")
    keys.add(NETWORK_KEY, "network key")
    keys.add(NETWORK_KEY, "duplicate")
    keys.add(link_key(INSTALL_CODE), 'link "ESME"')
    uat = (tmp_path / "zigbee_pc_keys").read_text().splitlines()
    assert uat[1:] == ['"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF","Normal","network key"',
                       '"33:3C:23:68:60:79:46:8E:B2:7B:A2:4B:D9:C7:E5:64","Normal","link \'ESME\'"']
    readme = (tmp_path / "run.keys.txt").read_text()
    assert keys.tshark_command() in readme
    argv = shlex.split(keys.tshark_command())
    assert argv[:3] == ["tshark", "-r", "run.pcap"] and argv.count("-o") == 2
    assert argv[argv.index("-o") + 1].startswith('uat:zigbee_pc_keys:"00:11:22')


def _make_capture(tmp_path):
    """A join (beacon, association, Transport-Key) and an APS-secured ZCL frame, captured."""
    clock = VirtualClock()
    cap = Capture(tmp_path / "join.pcap")
    medium = Medium(clock, seed=1, capture=cap)
    hub = SimRadio(medium, CH, "chf", channel=25)
    hub.form_network(25, 0x2B2B, NETWORK_KEY)
    esme = SimRadio(medium, ESME, "esme")
    key = link_key(INSTALL_CODE)
    hub.permit_joining(ESME, key, 60)
    esme.join(CH, key)
    # ZCL Key Establishment: Read Attributes (global cmd 0x00) of KeyEstablishmentSuite, APS-secured with the link key
    esme.send_aps(CH, 0x0800, bytes([0x00, 0x2A, 0x00, 0x00, 0x00]))
    cap.close()
    return cap


@pytest.fixture
def tshark():
    path = shutil.which("tshark")
    if path is None:
        pytest.skip("tshark is not installed (apt-get install tshark) - capture decoding not checked")
    return path


def test_tshark_decodes_the_capture_with_the_keys_file(tmp_path, tshark):
    cap = _make_capture(tmp_path)
    argv = shlex.split(cap.keys.tshark_command())
    argv[0] = tshark
    argv.remove("-V")
    fields = ["frame.number", "wpan.fcs_ok", "zbee_beacon.ext_panid", "zbee_aps.cmd.id", "zbee_aps.cmd.key",
              "zbee_aps.cluster", "zbee_zcl.cmd.tsn", "zbee_zcl.cmd.id", "zbee.sec.key_id", "zbee.sec.decryption_key", "_ws.malformed"]
    argv += ["-T", "fields", "-E", "separator=|"] + [x for f in fields for x in ("-e", f)]
    out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True).stdout
    rows = [dict(zip(fields, line.split("|"))) for line in out.splitlines()]
    assert len(rows) == cap.pcap.count
    assert all(r["wpan.fcs_ok"] in ("1", "True") for r in rows)
    assert all(r["_ws.malformed"] == "" for r in rows)
    assert any(r["zbee_beacon.ext_panid"] == "0a:0b:0c:0d:0e:0f:10:11" for r in rows)
    # the Transport-Key, APS-decrypted with the key-transport key derived from the install-code link key
    tk = [r for r in rows if r["zbee_aps.cmd.id"] == "0x05"]
    assert len(tk) == 1 and tk[0]["zbee_aps.cmd.key"].replace(":", "") == NETWORK_KEY.hex()
    assert tk[0]["zbee.sec.key_id"] == "0x02" and tk[0]["zbee.sec.decryption_key"].startswith("install-code link key")
    # the ZCL frame inside NWK + APS encryption
    zcl = [r for r in rows if r["zbee_zcl.cmd.tsn"] == "42"]
    assert len(zcl) == 1 and zcl[0]["zbee_aps.cluster"] == "0x0800" and zcl[0]["zbee_zcl.cmd.id"] == "0x00"
    assert zcl[0]["zbee.sec.key_id"] == "0x01,0x00"          # NWK (network key) then APS (link key)
    assert zcl[0]["zbee.sec.decryption_key"].startswith("install-code link key")


def test_without_keys_tshark_cannot_see_inside(tmp_path, tshark):
    cap = _make_capture(tmp_path)
    out = subprocess.run([tshark, "-r", str(cap.path), "-T", "fields", "-e", "zbee_aps.cmd.key", "-e",
                          "zbee_zcl.cmd.tsn"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert NETWORK_KEY.hex() not in out.replace(":", "") and "42" not in out.split()
