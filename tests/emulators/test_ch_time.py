"""A meter reading its CH's time status (emulators/ch_time.py): a Time cluster Read Attributes to the CH on start and
every POLL seconds until stopped; the CH's answer goes to the board as `ch.time`; ZDO, other senders, malformed
frames and answers without TimeStatus are not the board's."""
from __future__ import annotations

from emulators.ch_time import POLL, ChTimeClient
from harness.zigbee import time_cluster, zcl, zdo
from rig.clock import VirtualClock
from rig.radios.protocol import ApsMessage
from test_han_prepayment import Link, Radio, tsn

CHF, OTHER = 0x0253494D00000001, 0x0253494D00000002


def from_(src: int, payload: bytes, profile: int = 0x0109) -> ApsMessage:
    return ApsMessage(src, 0x0000, 1, 1, time_cluster.CLUSTER, profile, payload, False)


def test_reads_on_start_and_every_poll_until_stopped():
    radio, clock = Radio(), VirtualClock()
    client = ChTimeClient(Link(), radio, clock, CHF, tsn)
    client.start()
    clock.advance(POLL * 2 + 1)
    client.stop()
    clock.advance(POLL * 2)
    assert [(dst, cluster) for dst, cluster, _, _ in radio.sent] == [(CHF, time_cluster.CLUSTER)] * 3
    assert zcl.read_attribute_ids(zcl.decode(radio.sent[0][2]).payload) == [time_cluster.ATTR_TIME_STATUS]


def test_the_chs_answer_goes_to_the_board_and_nothing_else_does():
    link = Link()
    client = ChTimeClient(link, Radio(), VirtualClock(), CHF, tsn)
    assert client.on_message(from_(CHF, time_cluster.read_response(1, False)))
    assert client.on_message(from_(CHF, time_cluster.read_response(2, True)))
    assert not client.on_message(from_(OTHER, time_cluster.read_response(3, True)))
    assert not client.on_message(from_(CHF, b"\x00\x00", profile=zdo.PROFILE_ZDO))
    assert client.on_message(from_(CHF, b"\x03"))  # malformed: logged
    assert client.on_message(from_(CHF, zcl.read_attributes_response(4, [(0x0000, 0x86, None, b"")])))
    assert link.calls[:2] == [("ch.time", {"valid": False}), ("ch.time", {"valid": True})]
    assert [m for m, _ in link.calls[2:]] == ["log"]
