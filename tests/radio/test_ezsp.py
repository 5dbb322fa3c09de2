"""EzspRadio against an EZSP-level NCP double (tests/radio/ezsp_fake_ncp.py): bellows' real EZSP object and
protocol handlers do version negotiation, serialisation and callback parsing; the double answers like an NCP.
Not exercised here: ASH framing/serial, a real NCP's radio behaviour (association, key transport on air)."""
from __future__ import annotations

import bellows.types as t
import pytest

from ezsp_fake_ncp import NCP_EUI, FakeNcp
from harness.zigbee import interpan, mac, security
from rig.radios.ezsp import INSTALL_CODE_POLICY, EzspRadio, eui64_int, eui64_type, probe
from rig.radios.protocol import ApsMessage, DeliveryFailed, InterPanMessage, JoinFailed

CH, ESME, HHT = 0x0A0B0C0D0E0F1011, 0x0A0B0C0D0E0F1012, 0x0A0B0C0D0E0F1020
KEY = bytes.fromhex("41618FC0C83B0E14A589954B16E31466")
NETWORK_KEY = bytes(range(16))


@pytest.fixture
def ncp():
    return FakeNcp(13)


@pytest.fixture
def radio(ncp):
    r = EzspRadio("/dev/null", gateway=ncp, command_timeout=3)
    yield r
    r.close()


def network_up(_args):
    return [("stackStatusHandler", {"status": t.EmberStatus.NETWORK_UP})]


def test_connect_negotiates_the_version_and_reads_the_eui(radio, ncp):
    assert radio.ezsp_version == 13 and radio.eui64 == NCP_EUI
    assert ncp.last("setConfigurationValue")["configId"] == t.EzspConfigId.CONFIG_MAC_FILTER_TABLE_SIZE


def test_form_network_as_trust_centre(radio, ncp):
    ncp.after["formNetwork"] = network_up
    net = radio.form_network(20, 0x4A1B, NETWORK_KEY, extended_pan_id=CH)
    assert (net.channel, net.pan_id, net.extended_pan_id, net.short) == (20, 0x4A1B, CH, 0)
    params = ncp.last("formNetwork")["parameters"]
    assert (params.radioChannel, params.panId, eui64_int(params.extendedPanId)) == (20, 0x4A1B, CH)
    state = ncp.last("setInitialSecurityState")["state"]
    assert state.networkKey.serialize() == NETWORK_KEY
    assert state.preconfiguredKey.serialize() != b"ZigBeeAlliance09"
    assert ncp.last("setPolicy")["decisionId"] == 0          # joins denied until a permit


def test_form_network_times_out_without_network_up(radio, ncp):
    from harness.errors import RigTimeout
    with pytest.raises(RigTimeout):
        radio.form_network(20, 0x4A1B, NETWORK_KEY)


def test_permit_joining_installs_only_that_eui_and_key(radio, ncp):
    radio.permit_joining(ESME, KEY, 60)
    imported = ncp.last("importTransientKey")
    assert eui64_int(imported["eui64"]) == ESME and imported["plaintext_key"].serialize() == KEY
    assert ncp.last("setPolicy")["decisionId"] == INSTALL_CODE_POLICY
    assert ncp.last("permitJoining")["duration"] == 60
    wildcard = [a for n, a in ncp.calls if n == "importTransientKey" and eui64_int(a["eui64"]) == (1 << 64) - 1]
    assert not wildcard


def test_trust_centre_join_handler_becomes_join_events(radio, ncp):
    common = {"newNodeId": 0xF116, "newNodeEui64": eui64_type(ESME), "parentOfNewNodeId": 0}
    ncp.after["nop"] = lambda _a: [
        ("trustCenterJoinHandler", dict(common, status=t.EmberDeviceUpdate.STANDARD_SECURITY_UNSECURED_JOIN,
                                        policyDecision=t.EmberJoinDecision.USE_PRECONFIGURED_KEY)),
        ("trustCenterJoinHandler", dict(common, status=t.EmberDeviceUpdate.STANDARD_SECURITY_UNSECURED_JOIN,
                                        policyDecision=t.EmberJoinDecision.DENY_JOIN)),
        ("trustCenterJoinHandler", dict(common, status=t.EmberDeviceUpdate.DEVICE_LEFT,
                                        policyDecision=t.EmberJoinDecision.NO_ACTION)),
    ]
    radio._run(radio._call("nop"), "nop")
    import time
    deadline = time.time() + 2
    events = []
    while len(events) < 3 and time.time() < deadline:
        events += radio.events()
        time.sleep(0.01)
    assert [(e.eui, e.short, e.kind) for e in events] == [(ESME, 0xF116, "key_sent"), (ESME, 0xF116, "denied"),
                                                         (ESME, 0xF116, "left")]


def _aps_frame(cluster: int, options: int) -> t.EmberApsFrame:
    return t.EmberApsFrame(profileId=0x0109, clusterId=cluster, sourceEndpoint=1, destinationEndpoint=1,
                           options=t.EmberApsOption(options), groupId=0, sequence=1)


def _joined(radio, ncp):
    """Teach the radio that ESME is 0xF116 via a trust-centre join callback."""
    ncp.after["nop"] = lambda _a: [("trustCenterJoinHandler", {
        "newNodeId": 0xF116, "newNodeEui64": eui64_type(ESME), "parentOfNewNodeId": 0,
        "status": t.EmberDeviceUpdate.STANDARD_SECURITY_UNSECURED_JOIN,
        "policyDecision": t.EmberJoinDecision.USE_PRECONFIGURED_KEY})]
    radio._run(radio._call("nop"), "nop")
    import time
    deadline = time.time() + 2
    while not radio.events() and time.time() < deadline:
        time.sleep(0.01)


def test_send_aps_with_link_key_waits_for_the_ack(radio, ncp):
    _joined(radio, ncp)

    def sent(args):
        return [("messageSentHandler", {"type": 0, "indexOrDestination": 0xF116, "apsFrame": args["apsFrame"],
                                        "messageTag": args["messageTag"], "status": t.EmberStatus.SUCCESS,
                                        "messageContents": b""})]
    ncp.after["sendUnicast"] = sent
    radio.send_aps(ESME, 0x0702, b"\x01\x02\x00")
    req = ncp.last("sendUnicast")
    assert req["indexOrDestination"] == 0xF116 and req["messageContents"] == b"\x01\x02\x00"
    assert req["apsFrame"].clusterId == 0x0702 and req["apsFrame"].options & t.EmberApsOption.APS_OPTION_ENCRYPTION
    radio.send_aps(ESME, 0x0800, b"ke", aps_security=False)
    assert not ncp.last("sendUnicast")["apsFrame"].options & t.EmberApsOption.APS_OPTION_ENCRYPTION


def test_send_aps_without_ack_fails(radio, ncp):
    _joined(radio, ncp)
    ncp.after["sendUnicast"] = lambda a: [("messageSentHandler", {
        "type": 0, "indexOrDestination": 0xF116, "apsFrame": a["apsFrame"], "messageTag": a["messageTag"],
        "status": t.EmberStatus.DELIVERY_FAILED, "messageContents": b""})]
    with pytest.raises(DeliveryFailed, match="no APS ack"):
        radio.send_aps(ESME, 0x0702, b"x")
    with pytest.raises(DeliveryFailed, match="no network address"):
        radio.send_aps(HHT, 0x0702, b"x")


def test_incoming_message_becomes_an_aps_message(radio, ncp):
    _joined(radio, ncp)
    ncp.after["nop"] = lambda _a: [("incomingMessageHandler", {
        "type": t.EmberIncomingMessageType.INCOMING_UNICAST,
        "apsFrame": _aps_frame(0x0702, t.EmberApsOption.APS_OPTION_ENCRYPTION), "lastHopLqi": 200,
        "lastHopRssi": -40, "sender": 0xF116, "bindingIndex": 0xFF, "addressIndex": 0xFF,
        "messageContents": b"\x09\x01\x00"})]
    radio._run(radio._call("nop"), "nop")
    assert radio.receive(2) == ApsMessage(ESME, 0xF116, 1, 1, 0x0702, 0x0109, b"\x09\x01\x00", True)


def test_set_channel_tunes_the_ncp(radio, ncp):
    radio.set_channel(20)
    assert ncp.last("setRadioChannel")["channel"] == 20
    with pytest.raises(ValueError):
        radio.set_channel(27)


def test_interpan_send_builds_the_se_frame(radio, ncp):
    radio.send_interpan(0xFFFF, HHT, 0x0800, b"\x09\x01\x00", link_key=KEY)
    raw = ncp.last("sendRawMessageExtended")["message"]
    frame = mac.decode(raw)
    assert (frame.dst, frame.src, frame.dst_pan) == (HHT, NCP_EUI, 0xFFFF) and frame.ack_request
    assert security.open_interpan(frame.payload, KEY, NCP_EUI).payload == b"\x09\x01\x00"


def test_interpan_receive_via_mac_filter(radio, ncp):
    radio.set_interpan(True)
    values = ncp.last("setValue")
    assert values["valueId"] == 0x09 and len(values["value"]) == 24
    raw = mac.encode(interpan.mac_frame(3, 0xFFFF, mac.BROADCAST_SHORT, False, 0x1234, HHT,
                                        interpan.encode(interpan.InterPanFrame(0x0800, delivery=2,
                                                                               payload=b"\x01\x05\x00"))))
    ncp.after["nop"] = lambda _a: [("macFilterMatchMessageHandler", {
        "filterIndexMatch": 1, "legacyPassthroughType": t.EmberMacPassthroughType.MAC_PASSTHROUGH_SE_INTERPAN,
        "lastHopLqi": 200, "lastHopRssi": -40, "messageContents": raw}),
        ("macFilterMatchMessageHandler", {   # malformed: dropped, not a crash
        "filterIndexMatch": 1, "legacyPassthroughType": t.EmberMacPassthroughType.MAC_PASSTHROUGH_SE_INTERPAN,
        "lastHopLqi": 200, "lastHopRssi": -40, "messageContents": raw[:12]})]
    radio._run(radio._call("nop"), "nop")
    assert radio.receive(2) == InterPanMessage(HHT, 0x1234, 0xFFFF, 0xFFFF, 0x0800, 0x0109, b"\x01\x05\x00", False)
    assert radio.receive(0.2) is None
    assert "macFilterMatchMessageHandler" in radio.drops[-1][1]


def test_key_table(radio, ncp):
    radio.set_link_key(ESME, KEY)
    entry = ncp.last("importLinkKey")
    assert eui64_int(entry["address"]) == ESME and entry["key"].serialize() == KEY
    assert radio.get_link_key(ESME) == KEY


def test_join_needs_a_beacon_permitting_joins(radio, ncp):
    net = t.EmberZigbeeNetwork(channel=20, panId=0x4A1B,
                               extendedPanId=t.ExtendedPanId.deserialize(CH.to_bytes(8, "little"))[0],
                               allowingJoin=True, stackProfile=2, nwkUpdateId=0)
    ncp.after["startScan"] = lambda _a: [("networkFoundHandler", {"networkFound": net, "lastHopLqi": 255,
                                                                 "lastHopRssi": -30}),
                                         ("scanCompleteHandler", {"channel": 26, "status": 0})]
    ncp.after["joinNetwork"] = network_up
    ncp.handlers["lookupEui64ByNodeId"] = lambda a: {"status": t.EmberStatus.SUCCESS, "eui64": eui64_type(CH)}
    info = radio.join(CH, KEY, channels=[20])
    assert (info.pan_id, info.extended_pan_id, info.short) == (0x4A1B, CH, 0x1234)
    assert ncp.last("setInitialSecurityState")["state"].preconfiguredKey.serialize() == KEY
    assert radio.get_link_key(CH) == KEY
    with pytest.raises(JoinFailed, match="permitting joins"):
        radio.join(0x1111, KEY, channels=[20])


def test_join_refused_by_the_trust_centre(radio, ncp):
    net = t.EmberZigbeeNetwork(channel=20, panId=0x4A1B,
                               extendedPanId=t.ExtendedPanId.deserialize(CH.to_bytes(8, "little"))[0],
                               allowingJoin=True, stackProfile=2, nwkUpdateId=0)
    ncp.after["startScan"] = lambda _a: [("networkFoundHandler", {"networkFound": net, "lastHopLqi": 255,
                                                                 "lastHopRssi": -30}),
                                         ("scanCompleteHandler", {"channel": 26, "status": 0})]
    ncp.after["joinNetwork"] = lambda _a: [("stackStatusHandler", {"status": t.EmberStatus.JOIN_FAILED})]
    with pytest.raises(JoinFailed, match="stack status .*NOT_JOINED"):
        radio.join(CH, KEY, channels=[20])
    ncp.after["joinNetwork"] = lambda _a: []
    with pytest.raises(JoinFailed, match="did not come up"):
        radio.join(CH, KEY, channels=[20], timeout=0.5)


@pytest.mark.parametrize("version,command", [(7, "sendRawMessage"), (13, "sendRawMessageExtended"), (14, "sendRawMessageExtended")])
def test_raw_send_command_per_version(version, command):
    ncp = FakeNcp(version)
    radio = EzspRadio("/dev/null", gateway=ncp, command_timeout=3)
    try:
        radio.send_interpan(0x1234, None, 0x0703, b"\x19\x01\x00")
        raw = ncp.last(command)
        assert interpan.decode(mac.decode(list(raw.values())[0]).payload).cluster == 0x0703
    finally:
        radio.close()


def test_probe_reports_a_missing_port():
    ok, detail = probe("/dev/does-not-exist-ncp", 115200, timeout=5)
    assert not ok and "/dev/does-not-exist-ncp" in detail


@pytest.fixture
def ash_ncp():
    from ash_ncp import AshNcp
    ncp = AshNcp(FakeNcp(13))
    yield ncp
    ncp.close()


def test_ash_known_frames():
    from ash_ncp import crc_ccitt, randomise, stuff
    # UG101: the host's RST frame is C0 38 BC 7E; the NCP's RSTACK (version 2, power-on reset 2) is C1 02 02 9B 7B 7E
    assert stuff(b"\xc0" + crc_ccitt(b"\xc0").to_bytes(2, "big")) == bytes.fromhex("C038BC7E")
    assert stuff(b"\xc1\x02\x02" + crc_ccitt(b"\xc1\x02\x02").to_bytes(2, "big")) == bytes.fromhex("C102029B7B7E")
    assert randomise(bytes(5)) == bytes.fromhex("42 21 A8 54 2A")   # UG101 pseudo-random sequence start


def test_bellows_over_ash_on_a_pty(ash_ncp):
    ash_ncp.ncp.after["formNetwork"] = network_up
    radio = EzspRadio(ash_ncp.port, 115200, command_timeout=10)
    try:
        assert radio.eui64 == NCP_EUI and radio.ezsp_version == 13
        net = radio.form_network(15, 0x1A2B, NETWORK_KEY)
        assert net.extended_pan_id == NCP_EUI
        radio.permit_joining(ESME, KEY, 30)
        assert eui64_int(ash_ncp.ncp.last("importTransientKey")["eui64"]) == ESME
    finally:
        radio.close()
    assert ash_ncp.resets >= 1


def test_probe_finds_the_emulated_ncp(ash_ncp):
    ok, detail = probe(ash_ncp.port, 115200, timeout=10)
    assert ok, detail
    assert "EZSP v13" in detail and f"{NCP_EUI:016X}" in detail
