"""ZSE Tunneling cluster frames (GBCS 10.2.2 carriage) and the sleepy-device queue header, against their rules."""
from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.zigbee import tunnel, zcl


def test_request_tunnel_is_gb_hgrp_with_the_gbcs_parameters():
    frame = tunnel.encode(7, tunnel.RequestTunnel())
    # ZCL: cluster-specific, client to server, default response disabled; command 0x00
    assert frame == bytes([0x11, 7, 0x00, 6, 0xFF, 0xFF, 0x00]) + (1500).to_bytes(2, "little")
    assert tunnel.decode(frame) == (7, tunnel.RequestTunnel(6, 0xFFFF, False, 1500))


@pytest.mark.parametrize("command", [
    tunnel.RequestTunnelResponse(0x0102, tunnel.BUSY, 1500),
    tunnel.RequestTunnelResponse(0xFFFF, tunnel.NO_MORE_TUNNEL_IDS),
    tunnel.CloseTunnel(3),
    tunnel.TransferData(3, b"\xDD\x00payload", True),
    tunnel.TransferData(3, b"\xDF\x09", False),
    tunnel.TransferDataError(3, tunnel.NO_SUCH_TUNNEL, False),
    tunnel.TransferDataError(3, tunnel.DATA_OVERFLOW, True),
    tunnel.ClosureNotification(9),
])
def test_every_command_round_trips(command):
    assert tunnel.decode(tunnel.encode(1, command)) == (1, command)


def test_direction_decides_what_a_command_id_means():
    # 0x00 server->client is RequestTunnelResponse; 0x01 client->server is CloseTunnel, server->client TransferData
    server = zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, 1, 0x01, b"\x05\x00ab", zcl.SERVER_TO_CLIENT))
    assert tunnel.decode(server)[1] == tunnel.TransferData(5, b"ab", False)
    with pytest.raises(InputError):
        tunnel.decode(zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, 1, 0x01, b"\x05\x00ab", zcl.CLIENT_TO_SERVER)))


@pytest.mark.parametrize("frame", [
    bytes([0x11, 1, 0x00, 6, 0xFF]),                      # RequestTunnel cut short
    bytes([0x19, 1, 0x00, 1, 0, 0, 0xDC, 0x05, 0xAA]),    # RequestTunnelResponse with a trailing octet
    bytes([0x11, 1, 0x02, 0x01]),                         # TransferData without a whole tunnel id
    bytes([0x10, 1, 0x00]),                               # a global command, not cluster-specific
    bytes([0x11, 1, 0x07]),                               # no such command
    b"",
])
def test_malformed_frames_are_typed_errors(frame):
    with pytest.raises(InputError):
        tunnel.decode(frame)


def test_queue_header():
    assert tunnel.queue_header(tunnel.GET) == b"\x01"
    assert tunnel.parse_queue(tunnel.queue_header(tunnel.GET_RESPONSE, b"\xDD")) == (tunnel.GET_RESPONSE, b"\xDD")
    assert tunnel.parse_queue(b"\x02") == (tunnel.GET_RESPONSE, b"")  # nothing queued
    assert tunnel.parse_queue(b"\x03\xDF") == (tunnel.PUT, b"\xDF")
    for bad in (b"", b"\x04\x00", b"\x01\x00"):
        with pytest.raises(InputError):
            tunnel.parse_queue(bad)
    with pytest.raises(ValueError):
        tunnel.queue_header(tunnel.GET, b"x")
