"""The Radio interface: what an emulated device's Zigbee side may ask of its radio.

Synchronous: calls block until done or until their timeout (virtual seconds on the simulated medium, real seconds
on an EZSP radio). Inbound APS and inter-PAN messages go to the `on_message` callback when one is set, otherwise to a
queue read with `receive`; trust-centre join/leave notifications go to `on_join_event` or the events queue.
EUI-64s are ints (0x0A0B0C0D0E0F1011); keys are 16 octets.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, Union

from harness.errors import RigError

PROFILE_SE = 0x0109
BROADCAST_SHORT = 0xFFFF


class JoinFailed(RigError):
    """Joining did not complete: no PAN found, association refused, or the network key never arrived/decrypted."""


class DeliveryFailed(RigError):
    """A unicast got no APS acknowledgement within its retries (the partner did not take it)."""


@dataclass(frozen=True)
class NetworkInfo:
    channel: int
    pan_id: int
    extended_pan_id: int
    short: int
    network_key: bytes
    key_seq: int = 0


@dataclass(frozen=True)
class BeaconInfo:
    """One beacon heard in an active scan."""
    channel: int
    pan_id: int
    coordinator: int          # short address of the beacon's sender
    extended_pan_id: int
    permit_joining: bool
    router_capacity: bool
    end_device_capacity: bool
    depth: int


@dataclass(frozen=True)
class ApsMessage:
    """An APS data frame delivered to this node (already decrypted)."""
    src: int                  # sender EUI-64
    src_short: int
    src_ep: int
    dst_ep: int
    cluster: int
    profile: int
    payload: bytes
    aps_secured: bool         # True when it came APS-encrypted with the link key for `src`
    broadcast: bool = False


@dataclass(frozen=True)
class InterPanMessage:
    """An inter-PAN frame delivered to this node."""
    src: int                  # sender EUI-64 (MAC source, always long)
    src_pan: int
    dst_pan: int
    dst: int                  # our EUI-64 or the short broadcast 0xFFFF
    cluster: int
    profile: int
    payload: bytes
    aps_secured: bool


Message = Union[ApsMessage, InterPanMessage]


@dataclass(frozen=True)
class JoinEvent:
    """Trust-centre side notification. kind: 'denied' (not permitted), 'key_sent' (Transport-Key sent),
    'joined' (first frame secured with the network key heard from it), 'left'."""
    eui: int
    short: int
    kind: str
    time: float


class Radio(Protocol):
    eui64: int

    def form_network(self, channel: int, pan_id: int, network_key: bytes, extended_pan_id: int | None = None) -> NetworkInfo:
        """Become PAN coordinator and trust centre. The extended PAN ID defaults to our EUI-64 (GB: CH HAN EUI)."""

    def active_scan(self, channels: Iterable[int], duration: float = 0.138) -> list[BeaconInfo]:
        """Send beacon requests on each channel and collect beacons for `duration` seconds per channel."""

    def join(self, extended_pan_id: int, link_key: bytes, channels: Iterable[int] = range(11, 27),
             timeout: float = 10.0) -> NetworkInfo:
        """Find the PAN, associate, take the network key from the Transport-Key (protected by `link_key`)."""

    def set_channel(self, channel: int) -> None:
        """Tune to `channel` (11–26) outside any network, e.g. for inter-PAN with a PAN found by a scan."""

    def leave(self) -> None:
        """Announce leaving (NWK leave) and forget the network."""

    def network(self) -> NetworkInfo | None:
        """The network we formed or joined, if any."""

    def permit_joining(self, eui: int, link_key: bytes, duration: float) -> None:
        """Trust centre: let exactly `eui` join for `duration` seconds, with `link_key` (install-code derived)."""

    def remove_device(self, eui: int) -> None:
        """Trust centre: withdraw any permit for `eui`, forget its link key and tell it to leave (NWK leave request)."""

    def set_link_key(self, partner: int, key: bytes) -> None:
        """Key table: the APS link key shared with `partner` (e.g. after CBKE replaces the TC link key)."""

    def get_link_key(self, partner: int) -> bytes | None:
        """Key table lookup."""

    def send_aps(self, dst: int, cluster: int, payload: bytes, *, profile: int = PROFILE_SE, src_ep: int = 1,
                 dst_ep: int = 1, aps_security: bool = True, timeout: float = 5.0, wait: bool = True) -> None:
        """Unicast to EUI-64 `dst` (NWK-secured; APS-secured with the link key unless `aps_security` is False).
        With `wait`, blocks for the APS ack (retrying within `timeout`) and raises DeliveryFailed without one."""

    def send_interpan(self, dst_pan: int, dst: int | None, cluster: int, payload: bytes, *,
                      profile: int = PROFILE_SE, link_key: bytes | None = None) -> None:
        """Inter-PAN frame to EUI-64 `dst` on `dst_pan` (None = short broadcast); APS-secured when `link_key` given."""

    def set_interpan(self, enabled: bool) -> None:
        """Accept (or ignore) inbound inter-PAN frames."""

    def set_interpan_key(self, partner: int, key: bytes) -> None:
        """The link key an inter-PAN CBKE established with `partner`, used to open its APS-secured inter-PAN
        frames; kept apart from the HAN key table (the same partner may later join with other keys)."""

    def on_message(self, callback: Callable[[Message], None] | None) -> None:
        """Deliver inbound messages to `callback` instead of the queue."""

    def on_join_event(self, callback: Callable[[JoinEvent], None] | None) -> None:
        """Deliver trust-centre notifications to `callback` instead of the events queue."""

    def receive(self, timeout: float = 5.0) -> Message | None:
        """The next queued inbound message, waiting up to `timeout`; None on timeout."""

    def events(self) -> list[JoinEvent]:
        """Take the queued join/leave notifications."""

    def close(self) -> None:
        """Release the radio."""
