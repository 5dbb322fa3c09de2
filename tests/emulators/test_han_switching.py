"""An ESME switching its HCALCS over the HAN (emulators/han_switching.py): the ESME board's event goes on the air as
a ZCL On/Off command; the HCALCS's half hands every On or Off to its board, whatever the sender (the board decides),
and leaves ZDO requests and malformed or other frames alone."""
from __future__ import annotations

from emulators.han_switching import HanSwitching
from harness.zigbee import onoff, zcl, zdo
from rig.radios.protocol import ApsMessage
from test_han_prepayment import Link, Radio, tsn

ESME, HCALCS = 0x00DB1234567890A0, 0x00DB1234567890A5


def from_esme(payload: bytes, profile: int = 0x0109) -> ApsMessage:
    return ApsMessage(ESME, 0x1234, 1, 1, onoff.CLUSTER, profile, payload, False)


def test_an_esme_board_event_goes_on_the_han_as_an_on_off_command():
    radio, link = Radio(), Link()
    HanSwitching(link, radio, tsn).send({"to": f"{HCALCS:016X}", "device": "hcalcs", "cluster": 6, "command": 1})
    [(dst, cluster, payload, kwargs)] = radio.sent
    frame = zcl.decode(payload)
    assert (dst, cluster, frame.frame_type, frame.command, frame.tsn) == (HCALCS, 6, zcl.CLUSTER_SPECIFIC, 1, 7)
    assert frame.disable_default_response and kwargs["aps_security"] is False
    HanSwitching(link, radio, tsn).send({"to": "zz", "command": 1})
    HanSwitching(link, radio, tsn).send({"to": f"{HCALCS:016X}", "command": 2})
    assert len(radio.sent) == 1 and [m for m, _ in link.calls] == ["log", "log"]


def test_the_hcalcs_half_hands_on_and_off_to_its_board_and_leaves_the_rest():
    link = Link({"hcalcs.switch": {"obeyed": True, "on": True}})
    half = HanSwitching(link, Radio(), tsn)
    assert half.on_message(from_esme(onoff.frame(onoff.ON, 1)))
    assert half.on_message(from_esme(onoff.frame(onoff.OFF, 2)))
    assert link.calls == [("hcalcs.switch", {"from": f"{ESME:016X}", "on": True}),
                          ("hcalcs.switch", {"from": f"{ESME:016X}", "on": False})]
    # a ZDO Match_Desc_req has the same cluster number: not ours; a toggle or a malformed frame is ours, logged
    assert not half.on_message(from_esme(b"\x01\x00\x00", profile=zdo.PROFILE_ZDO))
    assert half.on_message(from_esme(bytes([0x11, 3, 0x02])))
    assert half.on_message(from_esme(b"\x03"))
    assert [m for m, _ in link.calls[2:]] == ["log", "log"]
