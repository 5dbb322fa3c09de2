"""The capture verifier against captures the rig writes: a join (beacon, association, Transport-Key, APS data),
a refused association, and inter-PAN frames secured with an inter-PAN key; positive and negative queries."""
from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest

from emulators.medium.medium import Medium
from harness.capture.capture import Capture
from harness.capture.dissect import KeyRing
from harness.capture.keys import INTERPAN_NOTE
from harness.capture.verify import Air, CaptureCheckFailed
from harness.errors import ConformanceFailure
from harness.zigbee import mac
from harness.zse.install_code import link_key
from rig.clock import VirtualClock
from rig.radios.protocol import JoinFailed
from rig.radios.sim import SimRadio

CH, ESME, ROGUE, HHT = 0x0A0B0C0D0E0F1011, 0x0A0B0C0D0E0F1012, 0x0A0B0C0D0E0F10EE, 0x0A0B0C0D0E0F1099
NETWORK_KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B269161802AEBB")
INTERPAN_KEY = bytes.fromhex("0F0E0D0C0B0A09080706050403020100")
KE_READ_SUITE = bytes([0x00, 0x2A, 0x00, 0x00, 0x00])       # ZCL Read Attributes (KeyEstablishmentSuite), tsn 42
TRANSFER_DATA = bytes([0x11, 0x07, 0x02, 0x00, 0x00]) + b"GBCS"  # Tunneling TransferData, tunnel 0


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    """One run: a rogue refused, the ESME joins and sends APS data, the HHT talks to the CH over inter-PAN."""
    folder = tmp_path_factory.mktemp("air")
    clock = VirtualClock()
    cap = Capture(folder / "han.pcap")
    medium = Medium(clock, seed=1, capture=cap)
    hub = SimRadio(medium, CH, "chf", channel=25)
    hub.form_network(25, 0x2B2B, NETWORK_KEY)
    rogue, esme, hht = SimRadio(medium, ROGUE, "rogue"), SimRadio(medium, ESME, "esme"), SimRadio(medium, HHT, "hht")
    key = link_key(INSTALL_CODE)
    hub.permit_joining(ESME, key, 60)
    with pytest.raises(JoinFailed):
        rogue.join(CH, b"ZigBeeAlliance09", channels=[25], timeout=2)
    esme.join(CH, key)
    esme.send_aps(CH, 0x0800, KE_READ_SUITE)
    for radio in (hub, hht):
        radio.set_interpan(True)
    hub.set_interpan_key(HHT, INTERPAN_KEY)
    hht.set_interpan_key(CH, INTERPAN_KEY)
    hht.send_interpan(0x2B2B, CH, 0x0704, TRANSFER_DATA, link_key=INTERPAN_KEY)
    assert hub.receive(1) is not None
    cap.close()
    return cap


def test_reads_the_join_in_order(capture):
    air = Air.read(capture.path)
    beacon = air.filter(command="beacon", src=0x0000, beacon_ext_panid=CH).must_next()
    assert beacon["beacon.association_permit"] is True
    request = air.filter(command="association_request", src=ESME).must_next()
    response = air.filter(command="association_response", dst=ESME).must_next()
    assert request.number < response.number and response["wpan.assoc_status"] == mac.ASSOC_SUCCESS
    # the Transport-Key, APS-decrypted with the key-transport key of the install-code key
    tk = air.filter(layer="aps_cmd", command="transport_key", dst=ESME).must_next()
    assert tk["tk.key"] == NETWORK_KEY and tk["tk.dst64"] == ESME and tk["aps.key_id"] == 2
    assert tk["aps.key"].startswith("install-code link key")
    # NWK- and APS-secured ZCL from the ESME's short address, resolved to its EUI-64
    zcl = air.filter(src=ESME, dst=CH, cluster=0x0800, command="read_attributes", zcl_tsn=42).must_next()
    assert zcl["nwk.key"] == "network key" and zcl["aps.secured"] and not zcl.problems
    air.filter(layer="aps_ack", src=CH, dst=ESME).must_next()


def test_a_refused_association_is_on_the_air(capture):
    air = Air.read(capture.path)
    refused = air.filter(command="association_response", dst=ROGUE).must_next()
    assert refused["wpan.assoc_status"] == mac.ASSOC_ACCESS_DENIED
    air.rewind().filter(command="transport_key", dst=ROGUE).must_not_next()


def test_must_next_failure_names_the_frames_searched(capture):
    air = Air.read(capture.path)
    air.filter(command="transport_key", dst=ESME).must_next()
    with pytest.raises(CaptureCheckFailed) as err:
        air.filter(command="association_request", src=ESME).must_next()   # it came before the cursor
    text = str(err.value)
    assert "no frame [from 0A0B0C0D0E0F1012, command association_request] in han.pcap frames #" in text
    assert isinstance(err.value, ConformanceFailure)


def test_must_not_next_failure_quotes_the_frame(capture):
    air = Air.read(capture.path)
    with pytest.raises(CaptureCheckFailed, match=r"frame #\d+ is \[to 0A0B0C0D0E0F1012, command transport_key\], "
                                                 r"which must not appear .*: #\d+ t="):
        air.filter(command="transport_key", dst=ESME).must_not_next()
    tk = air.filter(command="transport_key").first()
    air.filter(command="association_request", src=ESME).before(tk).must_next()


def test_interpan_frames_open_with_the_interpan_key(capture):
    air = Air.read(capture.path)
    frame = air.filter(layer="interpan", src=HHT, dst=CH, command="transfer_data").must_next()
    assert frame["interpan.key"].startswith("inter-PAN link key") and frame["tunnel.data"] == b"GBCS"
    air.filter(layer="interpan").must_not_next()


def test_without_keys_nothing_inside_opens_and_failures_say_so(capture):
    air = Air.read(capture.path, KeyRing())
    assert air.filter(command="association_response", dst=ESME).must_next()   # MAC layer needs no key
    with pytest.raises(CaptureCheckFailed, match="could not be fully decoded"):
        air.filter(command="transport_key").must_next()
    assert {p.number for p in air.undecoded()} >= {air.rewind().filter(layer="interpan").must_next().number}


def test_network_key_is_learnt_from_the_transport_key(capture):
    """A capture of a real hub: the rig knows only the joiner's install code; the network key comes off the air."""
    air = Air.read(capture.path, KeyRing(link=[(link_key(INSTALL_CODE), "ESME install code")]))
    air.filter(src=ESME, cluster=0x0800, command="read_attributes").must_next()


def test_keys_file_says_tshark_cannot_open_interpan(capture):
    readme = capture.keys.readme_path.read_text()
    assert "inter-PAN link key" in readme and INTERPAN_NOTE.split(":")[0] in readme


def test_tshark_leaves_interpan_encrypted(capture):
    """The fact INTERPAN_NOTE states: with the key in its table, tshark still shows the inter-PAN payload
    encrypted (so the verifier, not Wireshark, is the reference for these frames)."""
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed (apt-get install tshark)")
    argv = shlex.split(capture.keys.tshark_command())
    argv[0] = tshark
    argv.remove("-V")
    argv += ["-Y", "zbee_aps.cluster == 0x0704", "-T", "fields", "-e", "zbee_zcl.cmd.tsn", "-e", "data.data"]
    out = subprocess.run(argv, cwd=capture.path.parent, capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() and "7\t" not in out
