"""EzspRadio (bellows, unmodified) against emulated EmberZNet NCPs on ptys sharing one simulated medium: the whole
path from the Radio facade through bellows' EZSP and ASH to the NCP's stack and the air. Each `test_defect_N`
is the regression test of defect N of issue 10 (it failed on the radio layer before the fix)."""
from __future__ import annotations

import time

import pytest

from emulators.ncp.air import DECISION_CLEAR, DECISION_DENY
from emulators.ncp.stack import CONFIG_APPLICATION_ZDO_FLAGS, CONFIG_KEY_TABLE_SIZE, CONFIG_MAC_FILTER_TABLE_SIZE
from harness.errors import BenchFault, RadioFault
from rig.clock import VirtualClock
from rig.radios.ezsp import EzspRadio, probe
from rig.radios.protocol import ApsMessage, DeliveryFailed, InterPanMessage, JoinFailed

CH, ESME, HHT, INTRUDER = 0x0A0B0C0D0E0F1011, 0x0A0B0C0D0E0F1012, 0x0A0B0C0D0E0F1020, 0x0A0B0C0D0E0F10FF
KEY = bytes.fromhex("41618FC0C83B0E14A589954B16E31466")
CBKE_KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
NETWORK_KEY = bytes(range(16))
CHANNEL, PAN = 15, 0x1A2B


@pytest.fixture
def radios(ncps):
    """make(eui, version, **radio options) -> (radio, ncp); every radio closed at the end."""
    made = []

    def make(eui: int, version: int = 14, **options):
        ncp, port = ncps.add(eui, version=version, name=f"{eui:016X}")
        radio = EzspRadio(port, **options)
        made.append(radio)
        return radio, ncp

    yield make
    for radio in made:
        radio.close()


def joined(radios, version: int = 14):
    """(hub, hub NCP, meter, meter NCP): the meter joined the hub with its install-code key."""
    hub, hub_ncp = radios(CH, version)
    meter, meter_ncp = radios(ESME, version)
    hub.form_network(CHANNEL, PAN, NETWORK_KEY)
    hub.permit_joining(ESME, KEY, 60)
    meter.join(CH, KEY, channels=[CHANNEL])
    return hub, hub_ncp, meter, meter_ncp


# a ceiling for waits that end as soon as what they wait for arrives (the NCPs run in real time; the machine may be
# busy); waits that show something does NOT arrive keep their own short spans
PATIENCE = 30.0


def wait_events(radio, count: int, seconds: float = PATIENCE) -> list:
    events, deadline = [], time.monotonic() + seconds
    while len(events) < count and time.monotonic() < deadline:
        events += radio.events()
        time.sleep(0.01)
    return events


@pytest.mark.parametrize("version", [7, 8, 13, 14, 19])
def test_join_and_exchange_secured_frames(radios, version):
    hub, _, meter, _ = joined(radios, version)
    assert [e.kind for e in wait_events(hub, 2)] == ["key_sent", "joined"]
    meter.send_aps(CH, 0x0702, b"\x01\x02")
    assert hub.receive(PATIENCE) == ApsMessage(ESME, meter.network().short, 1, 1, 0x0702, 0x0109, b"\x01\x02", True)
    hub.send_aps(ESME, 0x0702, b"\x03", aps_security=False)
    message = meter.receive(PATIENCE)
    assert (message.src, message.payload, message.aps_secured) == (CH, b"\x03", False)


def test_join_with_the_wrong_key_is_refused(radios):
    hub, _ = radios(CH)
    meter, _ = radios(ESME)
    hub.form_network(CHANNEL, PAN, NETWORK_KEY)
    hub.permit_joining(ESME, KEY, 60)
    with pytest.raises(JoinFailed):
        meter.join(CH, bytes(16), channels=[CHANNEL])
    with pytest.raises(JoinFailed, match="permitting joins"):
        meter.join(0x1111, KEY, channels=[CHANNEL])


def test_interpan_both_ways(radios):
    hub, _ = radios(CH)
    hht, _ = radios(HHT)
    hub.form_network(CHANNEL, PAN, NETWORK_KEY)
    hub.set_interpan(True)
    hht.set_channel(CHANNEL)
    hht.set_interpan(True)
    hht.send_interpan(PAN, CH, 0x0800, b"\x01\x05\x00", link_key=KEY)
    assert hub.receive(2) is None                     # APS-secured with a key the hub does not hold: dropped
    hub.set_interpan_key(HHT, KEY)
    hht.send_interpan(PAN, CH, 0x0800, b"\x01\x06\x00", link_key=KEY)
    assert hub.receive(PATIENCE) == InterPanMessage(HHT, 0xFFFF, PAN, CH, 0x0800, 0x0109, b"\x01\x06\x00", True)
    hub.send_interpan(0xFFFF, None, 0x0704, b"\x19\x01\x00")
    message = hht.receive(PATIENCE)
    assert (message.src, message.dst, message.cluster, message.payload) == (CH, 0xFFFF, 0x0704, b"\x19\x01\x00")


def test_probe_finds_the_emulated_ncp(ncps):
    _, port = ncps.add(CH, version=13)
    ok, detail = probe(port, 115200, timeout=10)
    assert ok, detail
    assert "EZSP v13" in detail and f"{CH:016X}" in detail
    ok, detail = probe("/dev/does-not-exist-ncp", 115200, timeout=5)
    assert not ok and "/dev/does-not-exist-ncp" in detail


# ---- defects of issue 10 ------------------------------------------------------------------------------------
def test_defect_1_v14_lookup_returns_status_and_node_id(radios):
    hub, _ = radios(CH, 14)
    hub.form_network(CHANNEL, PAN, NETWORK_KEY)
    with pytest.raises(DeliveryFailed, match="no network address"):
        hub.send_aps(HHT, 0x0702, b"x")


def test_defect_2_legacy_policy_never_sends_the_key_in_the_clear(radios):
    hub, hub_ncp = radios(CH, 7)
    hub.form_network(CHANNEL, PAN, NETWORK_KEY)
    assert hub_ncp.stack.join_decision(INTRUDER)[0] == DECISION_DENY
    hub.permit_joining(ESME, KEY, 60)
    assert hub_ncp.stack.join_decision(ESME)[1] == KEY          # the meter's key protects its Transport-Key
    assert hub_ncp.stack.join_decision(INTRUDER)[0] != DECISION_CLEAR


def test_defect_3_replying_from_a_callback(radios):
    hub, _, meter, _ = joined(radios)
    hub.on_message(lambda m: hub.send_aps(m.src, m.cluster, b"re:" + m.payload))
    meter.send_aps(CH, 0x0702, b"ping")
    reply, deadline = None, time.monotonic() + PATIENCE
    while reply is None and time.monotonic() < deadline:
        hub.receive(0.05)                 # the hub's wait loop hands the message to its callback
        reply = meter.receive(0.05)
    assert reply is not None and reply.payload == b"re:ping"


@pytest.mark.parametrize("version", [8, 14])
def test_defect_4_joiner_uses_the_new_trust_centre_key_after_cbke(radios, version):
    hub, _, meter, _ = joined(radios, version)
    hub.set_link_key(ESME, CBKE_KEY)
    meter.set_link_key(CH, CBKE_KEY)
    meter.send_aps(CH, 0x0702, b"after cbke")
    message = hub.receive(PATIENCE)
    assert message is not None and message.payload == b"after cbke" and message.aps_secured


def test_defect_5_link_keys_are_read_from_the_ncp(radios):
    hub, hub_ncp, meter, _ = joined(radios)
    assert [e.kind for e in wait_events(hub, 2)] == ["key_sent", "joined"]   # the key table holds it once joined
    assert meter.get_link_key(CH) == KEY and hub.get_link_key(ESME) == KEY
    hub_ncp.stack.clearKeyTable()
    assert hub.get_link_key(ESME) is None


def test_defect_6_remove_device_clears_keys_and_the_permit(radios):
    hub, hub_ncp = radios(CH)
    hub.form_network(CHANNEL, PAN, NETWORK_KEY)
    hub.permit_joining(ESME, KEY, 60)
    hub.permit_joining(HHT, KEY, 60)
    hub.set_link_key(ESME, CBKE_KEY)
    hub.remove_device(ESME)
    stack = hub_ncp.stack
    assert ESME not in stack.transient and HHT in stack.transient
    assert stack._key_table_key(ESME) is None and stack.air.association_open()
    hub.remove_device(HHT)
    assert not stack.transient and not stack.air.association_open()


def test_defect_7_long_permits_are_renewed_on_the_run_clock(radios, ncps):
    hub, hub_ncp = radios(CH, clock=ncps.clock)
    hub.form_network(CHANNEL, PAN, NETWORK_KEY)
    hub.permit_joining(ESME, KEY, 600)
    later = ncps.clock.now() + 300
    ncps.skip(300)
    while ncps.clock.now() < later:       # the NCPs' service thread moves the run clock on
        time.sleep(0.01)
    hub.events()                          # the radio's caller runs the renewal
    opened = [a["duration"] for n, a in hub_ncp.commands if n == "permitJoining"]
    assert opened[0] == 254 and len(opened) == 2 and hub_ncp.stack.air.association_open()


def test_defect_8_the_ncp_is_configured(radios):
    _, ncp = radios(CH)
    stack = ncp.stack
    assert stack.config[CONFIG_KEY_TABLE_SIZE] >= 4 and stack.config[CONFIG_MAC_FILTER_TABLE_SIZE] >= 12
    assert stack.config[CONFIG_APPLICATION_ZDO_FLAGS] & 0x04     # Match_Desc answered by the host alone
    assert 1 in stack.endpoints and 0x0800 in stack.endpoints[1]["in"]


def test_defect_9_a_joiner_refuses_a_clear_network_key(radios):
    hub, hub_ncp = radios(CH, 7)
    meter, _ = radios(ESME, 7)
    hub.form_network(CHANNEL, PAN, NETWORK_KEY)
    hub.permit_joining(ESME, KEY, 60)
    hub_ncp.stack.policies[0] = 0         # a trust centre that sends the network key in the clear
    with pytest.raises(JoinFailed):
        meter.join(CH, KEY, channels=[CHANNEL])


def test_defect_10_interpan_filter_status_is_checked(radios):
    radio, ncp = radios(HHT)
    radio.set_interpan(True)
    assert len(ncp.stack.mac_filters) == 12
    radio.set_interpan(False)
    assert len(ncp.stack.mac_filters) == 12   # no empty list sent: frames are dropped host-side
    ncp.stack.config[CONFIG_MAC_FILTER_TABLE_SIZE] = 2
    with pytest.raises(RadioFault, match="setValue"):
        radio.set_interpan(True)


def test_defect_11_the_ncp_eui_must_match_the_bench_file(ncps):
    _, port = ncps.add(CH)
    with pytest.raises(BenchFault, match=port):
        EzspRadio(port, expected_eui=ESME)


def test_defect_12_join_events_carry_the_run_clock(radios):
    clock = VirtualClock(start=1_000_000.0)
    hub, _ = radios(CH, clock=clock)
    meter, _ = radios(ESME)
    hub.form_network(CHANNEL, PAN, NETWORK_KEY)
    hub.permit_joining(ESME, KEY, 60)
    meter.join(CH, KEY, channels=[CHANNEL])
    assert {e.time for e in wait_events(hub, 2)} == {1_000_000.0}


def test_each_connect_starts_from_a_known_state(ncps):
    """A dongle keeps its network and keys in tokens across runs; connecting leaves the one and clears the other."""
    ncp, port = ncps.add(CH, version=13)
    radio = EzspRadio(port)
    radio.form_network(CHANNEL, PAN, NETWORK_KEY)
    radio.set_link_key(ESME, CBKE_KEY)
    radio.close()
    assert ncp.tokens.network is not None and any(ncp.tokens.key_table)
    radio = EzspRadio(port)
    try:
        assert ncp.tokens.network is None and not any(ncp.tokens.key_table)
        assert radio.network() is None and radio.get_link_key(ESME) is None
        radio.form_network(CHANNEL, PAN, NETWORK_KEY)
    finally:
        radio.close()
