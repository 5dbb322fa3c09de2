"""GBCS carriage over the HAN (GBCS 10.2.2): the CHF requests a GB-HGRP tunnel to each ESME, HCALCS and PPMID once
CBKE with it is done, and again at power-on; it retries three minutes after a Busy answer, and after No More Tunnel
IDs it closes the tunnel IDs it holds with the device and requests again.

Topology: the CHF is the device under test; an emulated ESME plays the tunnel server and answers the CHF's
requests as each test tells it to. Checks read the DCC core (whether, and when, the ESME's response to a command
comes back) and what reached the ESME over the air (its tunnel requests).
"""
from __future__ import annotations

import pytest

from emulators.chf_tunnels import BUSY_RETRY
from emulators.provision import SUPPLIER
from harness.dcc.devices import CS04AC, unjoin_payload
from harness.zigbee import tunnel
from device_steps import APS_RETRY_WINDOW, install

PARTNER = bytes.fromhex("00DB1234567890A4")


def unjoin(han, wait: float = 120.0):
    """A CS04AC to the ESME (any response, even 'not in the log', proves the message crossed the HAN both ways):
    (the command, the verified response or None after `wait` seconds)."""
    command = han.core.command(SUPPLIER, han.eui("esme"), CS04AC, unjoin_payload(PARTNER), critical=True)
    han.devices.transmit(command, "CS04AC")
    return command, han.devices.await_response(command, wait)


@pytest.mark.scenario(13)
@pytest.mark.clause("GBCS 10.2.2 (CHF requests a tunnel after CBKE: GB-HGRP, 0xFFFF, no flow control, 1500)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_chf_requests_a_gb_hgrp_tunnel_after_cbke(han):
    han.commission_ch()
    install(han, "esme")
    esme = han.device("esme").tunnel

    # "When the CHF has completed CBKE with an ESME … it shall send a RequestTunnel command"
    assert esme.requests, "the CHF requested no tunnel after CBKE"
    # "… ProtocolID 6 (GB-HGRP), ManufacturerCode 0xFFFF, FlowControlSupport False, MaximumIncomingTransferSize 1500"
    assert esme.requests[0][1] == tunnel.RequestTunnel(tunnel.GB_HGRP, 0xFFFF, False, 1500)
    # Remote Party Messages then cross the HAN both ways through it
    _, response = unjoin(han)
    assert response is not None, f"no response came back through the tunnel; refused: {han.devices.rejected}"


@pytest.mark.scenario(13)
@pytest.mark.clause("GBCS 10.2.2 (tunnel request at power-on; Busy: retry after three minutes)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_chf_retries_three_minutes_after_busy(han):
    han.commission_ch()
    install(han, "esme")
    esme = han.device("esme").tunnel
    esme.refuse_next = [tunnel.BUSY]

    # Action: the CH powers on (it must request its tunnels again); the ESME answers the first request Busy
    powered_on = han.power_on_ch()
    han.run_for(5)
    asked = len(esme.requests)
    command, response = unjoin(han, BUSY_RETRY + 60)

    # "The CHF shall send RequestTunnel … when it powers on"
    assert asked >= 2 and esme.requests[1][0] >= powered_on, "the CHF did not request a tunnel at power-on"
    # "RequestTunnelResponse Busy: the CHF retries three minutes later" — and only then does the message get through
    assert len(esme.requests) >= 3, "the CHF never retried after Busy"
    retry = esme.requests[2][0] - esme.requests[1][0]
    assert BUSY_RETRY - 5 <= retry <= BUSY_RETRY + 30, f"the CHF retried {retry:.0f} s after Busy, not 180 s"
    assert response is not None, "the command never reached the ESME after the Busy retry"


@pytest.mark.scenario(13)
@pytest.mark.clause("GBCS 10.2.2 (No More Tunnel IDs: close the device's tunnel IDs, then request again)")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_chf_closes_its_tunnels_after_no_more_tunnel_ids(han):
    han.commission_ch()
    install(han, "esme")
    esme = han.device("esme").tunnel
    held = set(esme.tunnels)
    esme.refuse_next = [tunnel.NO_MORE_TUNNEL_IDS]

    han.power_on_ch()
    _, response = unjoin(han)
    han.run_for(APS_RETRY_WINDOW)  # a RequestTunnelResponse lost on the air reaches the CHF by its APS retries

    # "… the CHF closes every tunnel ID that may belong to that device … then requests again"
    assert held and not held & set(esme.tunnels), f"the CHF did not close its tunnel IDs {sorted(held)}"
    assert len(esme.requests) >= 3, "the CHF did not request again after No More Tunnel IDs"
    assert response is not None, "the command never reached the ESME through the new tunnel"
