"""What the HAN suites share: the topology's constants, the service requests that set a test up, and the checks,
each reading only what a real device shows: the air (`han.air()`, the capture verifier), GBCS through the DCC core
(`han.dcc`, `han.smi`). Every check raises `CaptureCheckFailed` or an AssertionError naming the rule (FAIL).

Key labels: the capture's keys file names a CBKE-derived key "link key A<->B" and an install-code key
"install-code link key ..." (rig.radios.sim, rig.han_session); the checks compare key values, not labels.
"""
from __future__ import annotations

from harness.capture.verify import Air, CaptureCheckFailed
from harness.capture.dissect import Packet
from harness.zigbee import aps_commands, mac

JOIN_PERIOD = 90          # seconds, the SRV 8.11 Join Time Period
JOIN_TIMEOUT = 30.0       # seconds a device keeps trying to join
METERS = ("esme", "gsme")
BASIC_CLUSTER = 0x0000


def whitelist(han, role: str, period: int = JOIN_PERIOD):
    """SRV 12.2 then SRV 8.11 (add) for `role`; the first CS14 reaches the DCC. The service response."""
    han.prenotify(role)
    response = han.dcc.add_device(han.chf_eui, han.eui(role), han.provisioning.install_code(role), period)
    han.run_for(1)
    return response


def join(han, role: str, **options) -> None:
    """The device `role` is made to join the CH's HAN (by the rig, or the operator for a real device)."""
    han.device(role).join(han.eui_int("chf"), timeout=options.pop("timeout", JOIN_TIMEOUT), **options)


def cs14_listing(han, role: str, since: float = 0.0) -> list[float]:
    """Times of the CS14 alerts the DCC accepted (after `since`) whose CHF Device Log lists `role`."""
    return [t for t, log in han.dcc.cs14 if t >= since and han.eui(role) in log]


def admitted(air: Air, chf: int, device: int) -> Packet:
    """The CH lets `device` onto its network: association response SUCCESS, then the network key in an APS
    Transport-Key addressed to it. The Transport-Key frame."""
    response = air.filter(command="association_response", src=chf, dst=device).must_next()
    if response["wpan.assoc_status"] != mac.ASSOC_SUCCESS:
        raise CaptureCheckFailed(f"frame #{response.number}: association refused (status "
                                 f"{response['wpan.assoc_status']}) for {device:016X}")
    transport = air.filter(command="transport_key", dst=device).must_next()
    if transport["tk.key_type"] != aps_commands.KEY_NETWORK or transport["tk.dst64"] != device:
        raise CaptureCheckFailed(f"frame #{transport.number}: the Transport-Key does not carry the network key "
                                 f"for {device:016X}")
    return transport


def not_admitted(air: Air, chf: int, device: int) -> None:
    """The CH keeps `device` off its network: no association SUCCESS and no Transport-Key for it (from the
    cursor on); an association response it sent must say ACCESS DENIED."""
    for response in air.filter(command="association_response", src=chf, dst=device).all():
        if response["wpan.assoc_status"] == mac.ASSOC_SUCCESS:
            raise CaptureCheckFailed(f"frame #{response.number}: the CH associated {device:016X}, which it must "
                                     f"refuse: {response.summary()}")
    air.filter(command="transport_key", dst=device).must_not_next()


def key_established(air: Air, server: int, initiator: int) -> Packet:
    """CBKE runs to its end between `initiator` and the KE server `server` (on the HAN or over inter-PAN):
    Initiate, Ephemeral Data and Confirm Key requests each answered, with no Terminate between them. The
    Confirm Key response."""
    start = air.cursor
    air.filter(layer="ke", src=initiator, dst=server, command="initiate_ke_request").must_next()
    for request, response in (("initiate_ke_request", "initiate_ke_response"),
                              ("ephemeral_data_request", "ephemeral_data_response"),
                              ("confirm_key_request", "confirm_key_response")):
        if request != "initiate_ke_request":
            air.filter(layer="ke", src=initiator, dst=server, command=request).must_next()
        air.filter(layer="ke", src=server, dst=initiator, command=response).must_next()
    last = air.packets[air.cursor - 1]
    air.cursor = start
    air.filter(lambda p: {p.src64, p.dst64} == {server, initiator}, layer="ke", command="terminate_ke") \
        .before(last).must_not_next()
    air.after(last)
    return last


def terminated(air: Air, by: int, peer: int, status: int) -> Packet:
    """`by` ends key establishment with `peer` by Terminate Key Establishment with `status`, as its answer to the
    peer's last KE frame (nothing else from `by` in between). The Terminate frame."""
    answer = air.filter(layer="ke", src=by, dst=peer).must_next()
    if answer.command != "terminate_ke" or answer["ke.status"] != status:
        raise CaptureCheckFailed(f"frame #{answer.number}: {by:016X} answered {answer.command} "
                                 f"(status {answer.get('ke.status')}), expected Terminate with status {status}: "
                                 f"{answer.summary()}")
    return answer


def new_key_in_use(air: Air, chf: int, device: int, install_key: bytes) -> None:
    """After CBKE the CHF and the device secure APS data with the key CBKE derived, and the receiver takes it:
    an APS-secured frame between them opened by a key other than the install-code key, acknowledged (the ack that
    carries its APS counter) under the same key (`han.exchange_data` sends one)."""
    pair = {chf, device}
    data = air.filter(lambda p: {p.src64, p.dst64} == pair, layer="aps", cluster=BASIC_CLUSTER,
                      aps_type="data").must_next()
    key = data.get("aps.key_value")
    if key is None or key == install_key:
        raise CaptureCheckFailed(f"frame #{data.number}: APS data between the CHF and {device:016X} is not secured "
                                 f"with the CBKE link key ({data.get('aps.key', 'no known key opens it')})")
    ack = air.filter(command="aps_ack", src=data.dst64, dst=data.src64, aps_counter=data["aps.counter"]).must_next()
    if ack.get("aps.key_value") != key:
        raise CaptureCheckFailed(f"frame #{ack.number}: the APS ack is not secured with the CBKE link key")
