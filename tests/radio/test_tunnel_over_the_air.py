"""GBCS carriage between the CHF's and a device's tunnel ends over the simulated radio (GBCS 10.2.2): the CHF finds
the device's Tunneling server, opens a GB-HGRP tunnel, and a command and its response longer than one transfer
cross as GBT blocks both ways, also on a lossy channel (APS retries the lost frames). The device's board is a
stand-in that answers every command with a long response. The sleepy GSME pulls what the CH queued for it when it
wakes (message-pending flag, GET / GET_RESPONSE / PUT)."""
from __future__ import annotations

import pytest

from emulators.chf_tunnels import ChfTunnels
from emulators.device_tunnel import RESPONSE_SETTLE, WAKE_INTERVAL, DeviceTunnel
from emulators.medium.medium import Impairments, Medium
from emulators.tunnel_carriage import is_block
from harness.gbcs.apdu import CRA_COMMAND, CRA_RESPONSE, GroupingHeader, Message, OtherInfo
from harness.zigbee import tunnel
from harness.zse.install_code import link_key
from rig.radios.protocol import JoinFailed
from rig.radios.sim import SimRadio

from sim_nodes import CH_EUI, CHANNEL, ESME_EUI, GOOD_CODE, GSME_EUI, NETWORK_KEY, PAN_ID

SUPPLIER = bytes.fromhex("90B3D51F30010000")
ESME = ESME_EUI.to_bytes(8, "big")


def message(cra: int, size: int) -> bytes:
    originator, recipient = (SUPPLIER, ESME) if cra == CRA_COMMAND else (ESME, SUPPLIER)
    return Message(GroupingHeader(cra, 0x3E8, originator, recipient, None, OtherInfo(0x0019),
                                  bytes(i & 0xFF for i in range(size)), signature=b"")).encode()


class Board:
    """The device's board as its tunnel end sees it: `gbcs.command` answers with a long response."""

    def __init__(self):
        self.commands: list[bytes] = []

    def call(self, method: str, **params):
        if method == "gbcs.command":
            self.commands.append(bytes.fromhex(params["hex"]))
            return {"response": message(CRA_RESPONSE, 3000).hex()}
        return {}


def carriage(clock, loss: float):
    medium = Medium(clock, seed=11, impairments=Impairments(loss=loss, latency=0.002))
    hub = SimRadio(medium, CH_EUI, "chf", channel=CHANNEL)
    hub.form_network(CHANNEL, PAN_ID, NETWORK_KEY)
    radio = SimRadio(medium, ESME_EUI, "esme")
    hub.permit_joining(ESME_EUI, link_key(GOOD_CODE), 60)
    for _ in range(10):  # a lossy channel may need a few join attempts
        try:
            radio.join(CH_EUI, link_key(GOOD_CODE))
            break
        except JoinFailed:  # a frame of the join was lost: retried like a real device
            clock.advance(1)
    up: list[bytes] = []
    tsn = iter(range(1, 10_000))
    chf = ChfTunnels(hub, clock, lambda: next(tsn) & 0xFF, up.append, lambda text: None)
    hub.on_message(chf.handles)
    board = Board()
    device = DeviceTunnel(board, radio, clock, CH_EUI, sleepy=False, next_tsn=lambda: next(tsn) & 0xFF)
    device.start()
    return medium, chf, device, board, up


@pytest.mark.parametrize("loss", [0.0, 0.1])
def test_long_messages_cross_a_tunnel_as_gbt_blocks_both_ways(clock, loss):
    medium, chf, device, board, up = carriage(clock, loss)
    chf.open(ESME_EUI)
    medium.wait_until(lambda: chf.peers[ESME_EUI].tunnel_id is not None, 30)
    assert device.requests and device.requests[0][1] == tunnel.RequestTunnel()

    command = message(CRA_COMMAND, 3000)
    chf.send(ESME_EUI, command, sleepy=False)
    medium.wait_until(lambda: bool(up), 60)

    assert board.commands == [command], "the command did not come out whole on the device's side"
    assert up == [message(CRA_RESPONSE, 3000)], "the response did not come out whole on the CHF's side"


def test_a_message_for_a_device_without_a_tunnel_waits_for_one(clock):
    medium, chf, device, board, up = carriage(clock, 0.0)
    chf.send(ESME_EUI, message(CRA_COMMAND, 100), sleepy=False)  # no tunnel yet: the CHF requests one first
    medium.wait_until(lambda: bool(up), 30)
    assert len(device.requests) == 1 and board.commands == [message(CRA_COMMAND, 100)]
    assert not is_block(up[0]) and len(up[0]) > tunnel.MAX_TRANSFER


def test_the_sleepy_gsme_pulls_its_queued_message_when_it_wakes(clock):
    medium, chf, _, _, up = carriage(clock, 0.0)
    gsme_radio = SimRadio(medium, GSME_EUI, "gsme")
    chf.radio.permit_joining(GSME_EUI, link_key(GOOD_CODE), 60)
    gsme_radio.join(CH_EUI, link_key(GOOD_CODE))
    board = Board()
    gsme = DeviceTunnel(board, gsme_radio, clock, CH_EUI, sleepy=True, next_tsn=lambda: 1)
    gsme.start()                                   # asks the CHF (the server) for its tunnel
    medium.wait_until(lambda: gsme.client_tunnel is not None, 5)
    command = message(CRA_COMMAND, 200)

    chf.send(GSME_EUI, command, sleepy=True)       # queued on the CH: the mirror's message-pending flag is set
    assert chf.message_pending(GSME_EUI) and not board.commands
    medium.wait_until(lambda: bool(up), WAKE_INTERVAL + 5)

    assert board.commands == [command], "the GSME did not pull its queued command when it woke"
    assert up == [message(CRA_RESPONSE, 3000)], "the GSME's answer (PUT) did not reach the CHF whole"
    assert not chf.message_pending(GSME_EUI)


@pytest.mark.parametrize("loss", [0.0, 0.3])
def test_an_alert_raised_before_the_tunnel_goes_up_once_the_chf_can_know_the_tunnel(clock, loss):
    medium, chf, device, _, up = carriage(clock, loss)
    alert = message(CRA_RESPONSE, 100)
    device.send_up(alert)                          # raised at join, before the CHF has asked for a tunnel
    chf.open(ESME_EUI)
    medium.wait_until(lambda: bool(device.tunnels), 30)
    answered = clock.now()
    medium.wait_until(lambda: bool(up), 30)

    # held through the RequestTunnelResponse's APS retries (data on a tunnel the CHF does not know yet is dropped)
    assert up == [alert], "the alert held for the tunnel did not reach the CHF"
    assert clock.now() - answered >= RESPONSE_SETTLE - 0.01
