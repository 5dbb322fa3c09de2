"""The simulated medium and SimRadio: scan, join with install-code keys, APS link-key security, inter-PAN,
trust-centre notifications, and determinism of loss/latency/corruption for a seed."""
from __future__ import annotations

import pytest

from emulators.medium.medium import Impairments, Medium
from harness.capture.pcap import read_pcap
from harness.zse.install_code import link_key
from rig.clock import VirtualClock
from rig.radios.protocol import ApsMessage, DeliveryFailed, InterPanMessage, JoinFailed
from rig.radios.sim import SimRadio
from sim_nodes import (CH_EUI, CHANNEL, ESME_EUI, GOOD_CODE, GSME_EUI, HHT_EUI, NETWORK_KEY, OTHER_CODE,
                                  PAN_ID)


def test_active_scan_finds_the_pan_with_extended_pan_id_of_the_hub(medium, hub):
    scanner = SimRadio(medium, ESME_EUI, "esme")
    beacons = scanner.active_scan(range(11, 27))
    assert [(b.channel, b.pan_id, b.extended_pan_id, b.coordinator) for b in beacons] == [(CHANNEL, PAN_ID, CH_EUI, 0)]
    assert not beacons[0].permit_joining
    hub.permit_joining(ESME_EUI, link_key(GOOD_CODE), 30)
    assert scanner.active_scan([CHANNEL])[0].permit_joining


def test_join_with_the_install_code_key(medium, hub):
    esme = SimRadio(medium, ESME_EUI, "esme")
    key = link_key(GOOD_CODE)
    hub.permit_joining(ESME_EUI, key, 60)
    net = esme.join(CH_EUI, key)
    assert (net.pan_id, net.extended_pan_id, net.channel, net.network_key) == (PAN_ID, CH_EUI, CHANNEL, NETWORK_KEY)
    medium.wait_until(lambda: False, 0.05)
    assert [(e.eui, e.kind) for e in hub.events()] == [(ESME_EUI, "key_sent"), (ESME_EUI, "joined")]
    assert esme.get_link_key(CH_EUI) == key


def test_wrong_install_code_cannot_decrypt_the_transport_key(medium, hub):
    gsme = SimRadio(medium, GSME_EUI, "gsme")
    hub.permit_joining(GSME_EUI, link_key(GOOD_CODE), 60)
    with pytest.raises(JoinFailed, match="Transport-Key did not decrypt"):
        gsme.join(CH_EUI, link_key(OTHER_CODE), timeout=3)
    assert gsme.network() is None
    medium.wait_until(lambda: False, 1)
    assert [e.kind for e in hub.events()] == ["key_sent"]   # never 'joined'


def test_device_without_a_permit_is_refused(medium, hub):
    hub.permit_joining(GSME_EUI, link_key(GOOD_CODE), 60)   # someone else is permitted
    esme = SimRadio(medium, ESME_EUI, "esme")
    with pytest.raises(JoinFailed, match="association refused"):
        esme.join(CH_EUI, link_key(GOOD_CODE), timeout=3)
    assert [(e.eui, e.kind) for e in hub.events()] == [(ESME_EUI, "denied")]


def test_permit_expires(medium, hub, clock):
    hub.permit_joining(ESME_EUI, link_key(GOOD_CODE), 10)
    clock.advance(11)
    with pytest.raises(JoinFailed, match="permitting joins"):
        SimRadio(medium, ESME_EUI, "esme").join(CH_EUI, link_key(GOOD_CODE), timeout=5)


def test_aps_link_key_security_round_trip(joined):
    hub, esme = joined
    esme.send_aps(CH_EUI, 0x0702, b"\x01\x01\x00\x00\x00")
    msg = hub.receive(1)
    assert msg == ApsMessage(ESME_EUI, esme.network().short, 1, 1, 0x0702, 0x0109, b"\x01\x01\x00\x00\x00", True)
    hub.send_aps(ESME_EUI, 0x0800, b"\x09\x01\x00", aps_security=False)
    back = esme.receive(1)
    assert back.payload == b"\x09\x01\x00" and not back.aps_secured


def test_mismatched_link_keys_drop_the_frame_and_fail_delivery(joined):
    hub, esme = joined
    hub.set_link_key(ESME_EUI, bytes(16))          # hub now expects a key the ESME does not have
    with pytest.raises(DeliveryFailed, match="no APS ack"):
        esme.send_aps(CH_EUI, 0x0702, b"data", timeout=1.5)
    assert hub.receive(0.1) is None
    assert any("MIC" in reason for _, reason in hub.drops)


def test_key_table_replacement_after_cbke(joined):
    hub, esme = joined
    new = bytes.fromhex("AA4689C70BE0FAF0C9BE534ABD9F4CDC")   # KeyData from the Suite 2 annex vector
    hub.set_link_key(ESME_EUI, new)
    esme.set_link_key(CH_EUI, new)
    assert esme.get_link_key(CH_EUI) == new
    esme.send_aps(CH_EUI, 0x0704, b"tunnel")
    assert hub.receive(1).payload == b"tunnel"


def test_nwk_only_frames_are_refused_without_the_network_key(joined, medium):
    hub, _ = joined
    outsider = SimRadio(medium, GSME_EUI, "gsme", channel=CHANNEL)
    with pytest.raises(DeliveryFailed, match="not in a network"):
        outsider.send_aps(CH_EUI, 0x0702, b"x")


def test_inter_pan_broadcast_and_secured_unicast(medium, hub):
    hht = SimRadio(medium, HHT_EUI, "hht", channel=CHANNEL)
    hht.send_interpan(0xFFFF, None, 0x0800, b"\x01\x05\x00")
    assert hub.receive(0.5) is None                   # hub has inter-PAN closed
    hub.set_interpan(True)
    hht.send_interpan(0xFFFF, None, 0x0800, b"\x01\x06\x00")
    msg = hub.receive(0.5)
    assert msg == InterPanMessage(HHT_EUI, 0xFFFF, 0xFFFF, 0xFFFF, 0x0800, 0x0109, b"\x01\x06\x00", False)
    key = bytes.fromhex("86D58AAA998E2FAEFAF9FEF49606543A")
    hub.set_link_key(HHT_EUI, key)
    hht.set_interpan(True)
    hht.set_link_key(CH_EUI, key)
    hub.send_interpan(0xFFFF, HHT_EUI, 0x0800, b"install code", link_key=key)
    got = hht.receive(0.5)
    assert got.aps_secured and got.payload == b"install code" and got.src_pan == PAN_ID and got.dst == HHT_EUI
    hht.set_link_key(CH_EUI, bytes(16))
    hub.send_interpan(0xFFFF, HHT_EUI, 0x0800, b"again", link_key=key)
    assert hht.receive(0.5) is None and "MIC" in hht.drops[-1][1]


def test_inter_pan_key_is_kept_apart_from_the_han_key_table(medium, hub):
    hht = SimRadio(medium, HHT_EUI, "hht", channel=CHANNEL)
    hub.set_interpan(True)
    interpan_key = bytes.fromhex("86D58AAA998E2FAEFAF9FEF49606543A")
    hub.set_interpan_key(HHT_EUI, interpan_key)
    hub.permit_joining(HHT_EUI, link_key(GOOD_CODE), 60)   # the HHT is also whitelisted with its install code
    hht.send_interpan(PAN_ID, CH_EUI, 0x0704, b"local command", link_key=interpan_key)
    got = hub.receive(0.5)
    assert got is not None and got.aps_secured and got.payload == b"local command"
    assert hub.get_link_key(HHT_EUI) == link_key(GOOD_CODE)


def test_remove_device_makes_it_leave_and_it_cannot_rejoin(joined, medium):
    hub, esme = joined
    hub.remove_device(ESME_EUI)
    medium.wait_until(lambda: esme.network() is None, 1)
    assert esme.network() is None
    medium.wait_until(lambda: False, 0.1)
    assert [e.kind for e in hub.events()] == ["left"]
    with pytest.raises(JoinFailed):
        esme.join(CH_EUI, link_key(GOOD_CODE), timeout=2)


def test_callbacks_receive_messages_and_events(medium, hub):
    events, messages = [], []
    hub.on_join_event(events.append)
    hub.on_message(messages.append)
    esme = SimRadio(medium, ESME_EUI, "esme")
    hub.permit_joining(ESME_EUI, link_key(GOOD_CODE), 60)
    esme.join(CH_EUI, link_key(GOOD_CODE))
    esme.send_aps(CH_EUI, 0x0702, b"cb")
    assert [e.kind for e in events] == ["key_sent", "joined"] and [m.payload for m in messages] == [b"cb"]
    assert hub.events() == [] and hub.receive(0) is None


def test_latency_is_virtual_time(clock, tmp_path):
    medium = Medium(clock, seed=1, impairments=Impairments(latency=0.25))
    a = SimRadio(medium, CH_EUI, "a", channel=CHANNEL)
    b = SimRadio(medium, HHT_EUI, "b", channel=CHANNEL)
    b.set_interpan(True)
    t0 = clock.now()
    a.send_interpan(0xFFFF, None, 0x0800, b"x")
    assert b.receive(1).payload == b"x"
    assert clock.now() - t0 == pytest.approx(0.25)


def test_total_loss_keeps_devices_out(clock):
    medium = Medium(clock, seed=1, impairments=Impairments(loss=1.0))
    ch = SimRadio(medium, CH_EUI, "chf", channel=CHANNEL)
    ch.form_network(CHANNEL, PAN_ID, NETWORK_KEY)
    ch.permit_joining(ESME_EUI, link_key(GOOD_CODE), 60)
    with pytest.raises(JoinFailed):
        SimRadio(medium, ESME_EUI, "esme").join(CH_EUI, link_key(GOOD_CODE), timeout=3)
    assert medium.stats.lost > 0 and medium.stats.delivered == 0


def test_corruption_is_caught_by_the_fcs(clock):
    medium = Medium(clock, seed=3, impairments=Impairments(corruption=1.0))
    a = SimRadio(medium, CH_EUI, "a", channel=CHANNEL)
    b = SimRadio(medium, HHT_EUI, "b", channel=CHANNEL)
    b.set_interpan(True)
    for _ in range(5):
        a.send_interpan(0xFFFF, None, 0x0800, b"payload")
    assert b.receive(1) is None
    assert len(b.drops) == 5 and all("fcs" in reason for _, reason in b.drops)


def _lossy_run(tmp_path, seed: int) -> tuple[bytes, tuple, list]:
    from harness.capture.capture import Capture
    clock = VirtualClock()
    cap = Capture(tmp_path / f"run{seed}.pcap")
    medium = Medium(clock, seed=seed, impairments=Impairments(loss=0.3, latency=0.004, jitter=0.003, corruption=0.05),
                    capture=cap)
    ch = SimRadio(medium, CH_EUI, "chf", channel=CHANNEL)
    ch.form_network(CHANNEL, PAN_ID, NETWORK_KEY)
    ch.set_interpan(True)
    hht = SimRadio(medium, HHT_EUI, "hht", channel=CHANNEL)
    got = []
    for i in range(30):
        hht.send_interpan(0xFFFF, None, 0x0800, bytes([1, i, 0]))
        msg = ch.receive(0.02)
        got.append(None if msg is None else (msg.payload, round(clock.now() - 1767225600, 6)))
    cap.close()
    s = medium.stats
    return (tmp_path / f"run{seed}.pcap").read_bytes(), (s.transmitted, s.delivered, s.lost, s.corrupted), got


def test_loss_latency_and_corruption_are_deterministic_for_a_seed(tmp_path):
    first, second, other = _lossy_run(tmp_path, 5), _lossy_run(tmp_path, 5), _lossy_run(tmp_path, 6)
    assert first == second
    assert first[2] != other[2]
    delivered = [g for g in first[2] if g is not None]
    assert 0 < len(delivered) < 30                    # some lost or corrupted, some through


def test_every_frame_is_captured_as_real_bytes(joined, capture):
    hub, esme = joined
    esme.send_aps(CH_EUI, 0x0702, b"metering")
    linktype, records = read_pcap(capture.path)
    assert linktype == 195 and len(records) == hub.medium.stats.transmitted
    times = [t for t, _ in records]
    assert times == sorted(times) and times[0] >= 1767225600
    assert NETWORK_KEY in capture.keys.keys() and link_key(GOOD_CODE) in capture.keys.keys()


def test_per_link_impairments(clock):
    medium = Medium(clock, seed=2)
    a = SimRadio(medium, CH_EUI, "a", channel=CHANNEL)
    b = SimRadio(medium, HHT_EUI, "b", channel=CHANNEL)
    a.set_interpan(True)
    b.set_interpan(True)
    medium.set_link("b", "a", Impairments(loss=1.0))
    b.send_interpan(0xFFFF, None, 0x0800, b"lost")
    a.send_interpan(0xFFFF, None, 0x0800, b"kept")
    assert a.receive(0.5) is None
    assert b.receive(0.5).payload == b"kept"


def test_a_lost_broadcast_is_retransmitted_and_its_copies_are_dropped(medium, hub, clock):
    gsme, esme = SimRadio(medium, GSME_EUI, "gsme"), SimRadio(medium, ESME_EUI, "esme")
    for eui, radio in ((GSME_EUI, gsme), (ESME_EUI, esme)):
        hub.permit_joining(eui, link_key(GOOD_CODE), 60)
    gsme.join(CH_EUI, link_key(GOOD_CODE))
    medium.set_link("esme", "gsme", Impairments(loss=1.0))
    esme.join(CH_EUI, link_key(GOOD_CODE))          # its Device_annce's first copy never reaches the GSME
    medium.set_link("esme", "gsme", Impairments())
    medium.wait_until(lambda: False, 1.5)            # the retransmissions, nwkPassiveAckTimeout apart
    key = bytes(range(16))
    gsme.set_link_key(ESME_EUI, key)
    esme.set_link_key(GSME_EUI, key)
    gsme.send_aps(ESME_EUI, 0x0702, b"learnt from a retransmitted Device_annce")
    assert esme.receive(1).payload == b"learnt from a retransmitted Device_annce"
    assert not [why for _, why in hub.drops + gsme.drops if "replayed" in why], "a broadcast's copy was not dropped"
