"""The EZSP radio: a Silicon Labs NCP driven through bellows' `EZSP` object, behind the synchronous Radio facade.

bellows runs in a private asyncio loop on a helper thread; every public call submits a coroutine there and waits
for its result (a wall-clock watchdog: RigTimeout), serving the bench meanwhile when a `Driver` is given. Callbacks
arrive on bellows' thread; the ones that only complete a pending operation are handled there, the deliveries
(messages, join events) are queued and handed to `on_message`/`on_join_event` on the thread that calls the radio,
while it waits in any radio call (`receive`, `events`, `poll` or a command), never nested. An NCP that resets
unasked or fails is a RadioFault.

At connect the NCP is configured before its stack starts (a key table, the MAC filter table, ZDO flags that leave
endpoint requests such as Match_Desc to the host, endpoint 1 for Smart Energy so application frames reach the host),
checked against the bench file's EUI-64 and brought to a known state (a stored network started and left, key
tables cleared).

What it uses from bellows (1.2.1): `EZSP.connect/startup_reset` (ASH + version negotiation), the version shims
`add_transient_link_key` (addTransientLinkKey on v5-v12, importTransientKey on v13+) and `leaveNetwork`, and the raw
frames setConfigurationValue, addEndpoint, networkInit, setInitialSecurityState, formNetwork, joinNetwork,
startScan, setPolicy, permitJoining, sendUnicast, sendRawMessage/sendRawMessageExtended, setValue (MAC filter list /
passthrough flags), importLinkKey or addOrUpdateKeyTableEntry, importKey/exportKey or getKey (the trust-centre link
key), exportLinkKeyByEui or findKeyTableEntry/getKeyTableEntry, eraseKeyTableEntry, clearKeyTable,
clearTransientLinkKeys, removeDevice. Permitting is what bellows' ControllerApplication.permit_with_link_key does
(transient key for the one EUI-64 + TRUST_CENTER_POLICY = ALLOW_JOINS | JOINS_USE_INSTALL_CODE_KEY + permitJoining,
renewed in 254 s slices on the run's clock); the well-known "ZigBeeAlliance09" key is never installed. Below v8 the
trust-centre policy is a decision id, not a bitmask: 0 would be ALLOW_JOINS (network key in the clear), so joins
are DISALLOW_ALL (3) outside a permit and ALLOW_PRECONFIGURED_KEY_JOINS (1, the joiner's transient key) inside one.
A joiner's key with its trust centre after CBKE is the trust-centre link key, not an application key-table entry.
Inter-PAN frames are built and (APS-)secured host-side with `harness.zigbee` (EZSP cannot APS-encrypt inter-PAN).
`key_sink(key, label)`, when set, is told every key the host hands its NCP (the network key it forms with, transient
and link keys, inter-PAN keys): what a capture of a real bench can be read with; nothing is read back off the NCP.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import math
import os
import queue
import threading
import time
from typing import Any, Awaitable, Callable, Iterable, Protocol, TypeVar

import bellows.types as t
import zigpy.config as zconf
from bellows.ezsp import EZSP

from harness.errors import BenchFault, InputError, RadioFault, RigTimeout
from harness.zigbee import aps, interpan, mac, security
from rig.radios.protocol import (PROFILE_SE, ApsMessage, BeaconInfo, DeliveryFailed, InterPanMessage, JoinEvent,
                                 JoinFailed, Message, NetworkInfo)

T = TypeVar("T")
ZDO_DEVICE_ANNOUNCE = 0x0013
# Silicon Labs' inter-PAN MAC filters (zigbee-se.md section 4): PAN-dest x PAN-src x dest-mode, long source
INTERPAN_FILTERS = (0x05, 0x15, 0x25, 0x09, 0x19, 0x29, 0x06, 0x16, 0x26, 0x0A, 0x1A, 0x2A)
VALUE_MAC_FILTER_LIST = 0x09
MAC_PASSTHROUGH_SE_INTERPAN = 0x01
SECURITY_BITMASK_TC = (t.EmberInitialSecurityBitmask.HAVE_NETWORK_KEY
                       | t.EmberInitialSecurityBitmask.HAVE_PRECONFIGURED_KEY)
SECURITY_BITMASK_JOINER = (t.EmberInitialSecurityBitmask.HAVE_PRECONFIGURED_KEY
                           | t.EmberInitialSecurityBitmask.REQUIRE_ENCRYPTED_KEY)
# EZSP v4-v7 EzspDecisionId values for TRUST_CENTER_POLICY
LEGACY_DISALLOW_ALL_JOINS, LEGACY_PRECONFIGURED_KEY_JOINS = 3, 1
KEY_TABLE_SIZE = 12
ZDO_FLAGS = 0x02 | 0x04     # APP_HANDLES_UNSUPPORTED_ZDO_REQUESTS | APP_HANDLES_ZDO_ENDPOINT_REQUESTS
SE_ENDPOINTS, SE_DEVICE_ID = (1, 2), 0x0500   # 1: tunnels and the rest; 2: a CH's metering mirror
SE_CLUSTERS = (0x0019, 0x0700, 0x0702, 0x0703, 0x0704, 0x0705, 0x0800)
MAX_PERMIT = 254            # permitJoining takes at most 254 s (255 = forever); longer permits are renewed
INSTALL_CODE_POLICY = t.EzspDecisionBitmask.ALLOW_JOINS | t.EzspDecisionBitmask.JOINS_USE_INSTALL_CODE_KEY
# What APS encryption and a fragment's extended header take from maximumPayloadLength (emberAfMaximumApsPayloadLength)
APS_ENCRYPTION_OVERHEAD, APS_FRAGMENT_OVERHEAD = 9, 2
REASSEMBLY_LIMIT = 8        # fragmented messages being reassembled at once; the oldest is dropped beyond it


def eui64_type(value: int) -> t.EUI64:
    return t.EUI64.deserialize(value.to_bytes(8, "little"))[0]


def eui64_int(value: t.EUI64) -> int:
    return int.from_bytes(value.serialize(), "little")


def _ok(status: Any) -> bool:
    return t.sl_Status.from_ember_status(status) == t.sl_Status.OK


class _LoopThread:
    """A private asyncio loop on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="ezsp-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[T], timeout: float, what: str) -> T:
        future = asyncio.run_coroutine_threadsafe(_with_timeout(coro, timeout), self.loop)
        try:
            return future.result(timeout + 1.0)
        except (TimeoutError, asyncio.TimeoutError) as exc:
            future.cancel()
            raise RigTimeout(f"EZSP: {what} timed out after {timeout:g} s") from exc

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()


async def _with_timeout(coro: Awaitable[T], timeout: float) -> T:
    return await asyncio.wait_for(coro, timeout)


def device_config(port: str, baudrate: int = 115200, flow_control: str | None = None) -> dict:
    return zconf.SCHEMA_DEVICE({zconf.CONF_DEVICE_PATH: port, zconf.CONF_DEVICE_BAUDRATE: baudrate,
                                zconf.CONF_DEVICE_FLOW_CONTROL: flow_control})


class Driver(Protocol):
    """What moves an emulated bench while a radio waits (`rig.radios.ncp_bench`): `service()` serves the emulated
    NCPs once; `wait(done, timeout)` serves them and moves virtual time, when everything is idle, until `done()` or
    `timeout` virtual seconds."""

    def service(self) -> None: ...

    def wait(self, done: Callable[[], bool], timeout: float) -> bool: ...


class RadioGroup:
    """The Driver of radios on real serial ports: while any radio of the group waits, every radio's deliveries are
    handed out (a callback on one radio may be what another is waiting for); time is the wall's."""

    def __init__(self) -> None:
        self.radios: list["EzspRadio"] = []

    def service(self) -> None:
        for radio in self.radios:
            radio.poll()

    def wait(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self.service()
            if done():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)


class EzspRadio:
    """Radio on an EZSP NCP at `port`. `expected_eui`: the bench file's EUI-64 for it (a mismatch is a BenchFault);
    `clock`: the run's clock (join-event times, permit expiry); without it wall time. `driver`: set on the
    emulated `sim-ezsp` bench, whose NCPs are served from the radio caller's thread and whose virtual time moves
    only when every NCP and host is idle; `receive` then waits in virtual seconds."""

    def __init__(self, port: str, baudrate: int = 115200, *, flow_control: str | None = None,
                 command_timeout: float = 15.0, expected_eui: int | None = None, clock: Any = None,
                 driver: Driver | None = None):
        self._timeout = command_timeout
        self._driver = driver
        self._in_flight = 0
        self._flight_lock = threading.Lock()
        self.callbacks_seen = 0
        self._port = port
        self._clock = clock
        self._inbox: queue.Queue[Callable[[], None]] = queue.Queue()
        self._dispatching = False
        self._tc_eui: int | None = None
        self._permit_until: dict[int, float] = {}
        self._transient: dict[int, bytes] = {}     # the install-code key of each device permitted now
        self._loop = _LoopThread()
        self._failure: BaseException | None = None
        self._ezsp = EZSP(device_config(port, baudrate, flow_control), application=self)
        self._net: NetworkInfo | None = None
        self._keys: dict[int, bytes] = {}
        self._interpan_keys: dict[int, bytes] = {}
        self._permits: dict[int, asyncio.TimerHandle] = {}
        self._nwk_to_eui: dict[int, int] = {}
        self._eui_to_nwk: dict[int, int] = {}
        self._sent: dict[int, asyncio.Future] = {}
        self._partial: dict[tuple[int, int, int], tuple[int | None, dict[int, bytes]]] = {}   # fragmented messages being reassembled
        self._tag = 0
        self._aps_fc = 0
        self._interpan = False
        self._queue: queue.Queue[Message] = queue.Queue()
        self._events: queue.Queue[JoinEvent] = queue.Queue()
        self._on_message: Callable[[Message], None] | None = None
        self._on_join: Callable[[JoinEvent], None] | None = None
        self.drops: list[tuple[float, str]] = []
        self.key_sink: Callable[[bytes, str], None] | None = None
        self._closed = False
        try:
            self._run(self._connect(), "connect")
        except Exception:
            self._loop.stop()
            raise
        if expected_eui is not None and expected_eui != self.eui64:
            self.close()
            raise BenchFault(f"the NCP on {port} has EUI-64 {self.eui64:016X}, the bench file says "
                             f"{expected_eui:016X}: certificates and install codes would not match it")

    # ---- plumbing -----------------------------------------------------------------------------------------
    def _landed(self, _future: Any) -> None:
        with self._flight_lock:
            self._in_flight -= 1

    def idle(self) -> bool:
        """No command in flight and nothing waiting to be handed out."""
        return self._in_flight == 0 and self._inbox.empty()

    def connection_lost(self, exc: BaseException) -> None:
        """bellows: the NCP reset unasked, entered its FAILED state or the port closed (on bellows' thread)."""
        self._failure = exc

    def _now(self) -> float:
        return self._clock.now() if self._clock is not None else time.time()

    def _run(self, coro: Awaitable[T], what: str, timeout: float | None = None) -> T:
        """Run `coro` on bellows' loop and wait for it, handing queued deliveries out meanwhile."""
        try:
            future = asyncio.run_coroutine_threadsafe(_with_timeout(coro, timeout or self._timeout), self._loop.loop)
            with self._flight_lock:
                self._in_flight += 1
            future.add_done_callback(self._landed)
            deadline = time.monotonic() + (timeout or self._timeout) + 1.0
            while True:
                self.poll()
                if self._driver is not None:
                    self._driver.service()
                if self._failure is not None:
                    future.cancel()
                    raise RadioFault(f"EZSP: the NCP on {self._port} reset or failed during {what}: "
                                     f"{self._failure!r}")
                try:
                    return future.result(0.0005 if self._driver is not None else 0.01)
                except (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError) as exc:
                    if future.done():
                        raise RigTimeout(f"EZSP: {what} timed out after {timeout or self._timeout:g} s") from exc
                    if time.monotonic() > deadline:
                        future.cancel()
                        raise RigTimeout(f"EZSP: {what} timed out after {timeout or self._timeout:g} s") from exc
        except (RigTimeout, JoinFailed, DeliveryFailed, InputError, RadioFault):
            raise
        except Exception as exc:
            raise RadioFault(f"EZSP: {what} failed: {exc!r}") from exc

    async def _connect(self) -> None:
        await self._ezsp.connect(use_thread=False)
        self._ezsp.add_callback(self._callback)
        (status,) = await self._ezsp.setConfigurationValue(t.EzspConfigId.CONFIG_MAC_FILTER_TABLE_SIZE,
                                                           len(INTERPAN_FILTERS) + 1)
        self.mac_filter_supported = _ok(status)
        await self._checked("setConfigurationValue", t.EzspConfigId.CONFIG_KEY_TABLE_SIZE, KEY_TABLE_SIZE)
        await self._checked("setConfigurationValue", t.EzspConfigId.CONFIG_APPLICATION_ZDO_FLAGS, ZDO_FLAGS)
        for endpoint in SE_ENDPOINTS:
            await self._checked("addEndpoint", endpoint, PROFILE_SE, SE_DEVICE_ID, 0, len(SE_CLUSTERS),
                                len(SE_CLUSTERS), list(SE_CLUSTERS), list(SE_CLUSTERS))
        (eui,) = await self._ezsp.getEui64()
        self.eui64 = eui64_int(eui)
        (self.max_payload,) = await self._call("maximumPayloadLength")
        # bellows 1.2.1 reassembles fragments with the v4-v13 incomingMessageHandler field positions (sender,
        # message), which from v14 are the binding index and RSSI, and hands on no block before the last: the radio
        # takes every block (each callback seen, as the sim-ezsp bench's idle test needs) and reassembles itself
        self._ezsp._protocol._fragment_manager = _BlocksPassThrough()
        await self._known_state()

    async def _known_state(self) -> None:
        """Every session starts from the same NCP: a network kept in its tokens is started and left, and its key
        tables are emptied (a real dongle keeps both across runs)."""
        args = [t.EmberNetworkInitBitmask.NETWORK_INIT_NO_OPTIONS] if self.ezsp_version >= 6 else []
        with self._ezsp.wait_for_stack_status(t.sl_Status.NETWORK_UP) as network_up:
            (status,) = await self._call("networkInit", *args)
            if _ok(status):
                await network_up
        if _ok(status):
            await self._ezsp.leaveNetwork()
        await self._checked("clearKeyTable")
        await self._call("clearTransientLinkKeys")

    @property
    def ezsp_version(self) -> int:
        return self._ezsp.ezsp_version

    def ncp_version(self) -> str:
        """What the NCP says it runs, for the run record: EZSP protocol version, stack version (VERSION_INFO) and
        its manufacturing strings when it has them (bellows' `get_board_info`). An NCP that cannot say is recorded as
        such: keeping a record never costs a test its verdict (a failing NCP fails the test's own radio calls)."""
        try:
            maker, board, stack = self._run(self._ezsp.get_board_info(), "read the NCP's version")
        except (RadioFault, RigTimeout) as exc:
            return f"EZSP v{self.ezsp_version}, stack unreadable ({exc})"
        parts = [f"EZSP v{self.ezsp_version}", f"stack {stack or 'unknown'}"]
        parts += [f"{label} {value}" for label, value in (("manufacturer", maker), ("board", board)) if value]
        return ", ".join(parts)

    async def _call(self, name: str, *args: Any) -> list:
        result = await getattr(self._ezsp, name)(*args)
        return list(result)

    async def _checked(self, name: str, *args: Any) -> list:
        result = await self._call(name, *args)
        if not _ok(result[0]):
            raise RadioFault(f"EZSP: {name} returned {result[0]!r}")
        return result

    # ---- network management -------------------------------------------------------------------------------
    def form_network(self, channel: int, pan_id: int, network_key: bytes, extended_pan_id: int | None = None) -> NetworkInfo:
        epid = self.eui64 if extended_pan_id is None else extended_pan_id
        net = self._run(self._form(channel, pan_id, bytes(network_key), epid), "form network")
        self._tell_key(network_key, "network key")
        return net

    async def _form(self, channel: int, pan_id: int, network_key: bytes, epid: int) -> NetworkInfo:
        state = t.EmberInitialSecurityState(bitmask=SECURITY_BITMASK_TC, preconfiguredKey=t.KeyData(os.urandom(16)),
                                            networkKey=t.KeyData(network_key), networkKeySequenceNumber=0,
                                            preconfiguredTrustCenterEui64=eui64_type(0))
        await self._checked("setInitialSecurityState", state)
        await self._checked("setPolicy", t.EzspPolicyId.TRUST_CENTER_POLICY, self._closed_policy())
        await self._ezsp.formNetwork(self._params(channel, pan_id, epid))   # bellows waits for NETWORK_UP
        self._net = NetworkInfo(channel, pan_id, epid, 0x0000, network_key)
        self._tc_eui = self.eui64
        return self._net

    def _closed_policy(self) -> int:
        return 0 if self.ezsp_version >= 8 else LEGACY_DISALLOW_ALL_JOINS

    def _open_policy(self) -> int:
        return INSTALL_CODE_POLICY if self.ezsp_version >= 8 else LEGACY_PRECONFIGURED_KEY_JOINS

    @staticmethod
    def _params(channel: int, pan_id: int, epid: int) -> t.EmberNetworkParameters:
        return t.EmberNetworkParameters(
            extendedPanId=t.ExtendedPanId.deserialize(epid.to_bytes(8, "little"))[0], panId=t.EmberPanId(pan_id),
            radioTxPower=8, radioChannel=channel, joinMethod=t.EmberJoinMethod.USE_MAC_ASSOCIATION,
            nwkManagerId=t.EmberNodeId(0), nwkUpdateId=0, channels=t.Channels.from_channel_list([channel]))

    def active_scan(self, channels: Iterable[int], duration: float = 0.138) -> list[BeaconInfo]:
        channels = list(channels)
        exponent = max(0, min(14, round(math.log2(max(1.0, duration / 0.01536 - 1))))) if duration > 0.03 else 0
        timeout = len(channels) * 0.01536 * (2 ** exponent + 1) + self._timeout
        return self._run(self._active_scan(channels, exponent), "active scan", timeout)

    async def _active_scan(self, channels: list[int], exponent: int) -> list[BeaconInfo]:
        # bellows collects networkFoundHandler callbacks until scanCompleteHandler
        results = await self._ezsp.startScan(t.EzspNetworkScanType.ACTIVE_SCAN,
                                             t.Channels.from_channel_list(channels), exponent)
        found = []
        for response in results:
            net = response[0]
            if not isinstance(net, t.EmberZigbeeNetwork):
                continue
            epid = int.from_bytes(net.extendedPanId.serialize(), "little")
            found.append(BeaconInfo(net.channel, int(net.panId), 0x0000, epid, bool(net.allowingJoin), True, True, 0))
        return found

    def join(self, extended_pan_id: int, link_key: bytes, channels: Iterable[int] = range(11, 27),
             timeout: float = 10.0) -> NetworkInfo:
        pans = [b for b in self.active_scan(channels) if b.extended_pan_id == extended_pan_id and b.permit_joining]
        if not pans:
            raise JoinFailed(f"no PAN with extended PAN ID {extended_pan_id:016X} is permitting joins")
        return self._run(self._join(pans[0], bytes(link_key), timeout), "join", timeout + self._timeout)

    async def _join(self, target: BeaconInfo, link_key: bytes, timeout: float) -> NetworkInfo:
        (state,) = await self._call("networkState")
        if state == t.EmberNetworkStatus.JOINED_NETWORK:   # still in a network (e.g. a leave not yet heard): leave
            await self._ezsp.leaveNetwork()
            self._net = None
        state = t.EmberInitialSecurityState(bitmask=SECURITY_BITMASK_JOINER, preconfiguredKey=t.KeyData(link_key),
                                            networkKey=t.KeyData(bytes(16)), networkKeySequenceNumber=0,
                                            preconfiguredTrustCenterEui64=eui64_type(0))
        await self._checked("setInitialSecurityState", state)
        outcome = asyncio.get_running_loop().create_future()

        def on_status(name: str, args: list) -> None:
            if name == "stackStatusHandler" and not outcome.done():
                outcome.set_result(t.sl_Status.from_ember_status(args[0]))

        listener = self._ezsp.add_callback(on_status)
        try:
            result = await self._call("joinNetwork", t.EmberNodeType.ROUTER,
                                      self._params(target.channel, target.pan_id, target.extended_pan_id))
            if not _ok(result[0]):
                raise JoinFailed(f"joinNetwork refused: {result[0]!r}")
            try:
                status = await asyncio.wait_for(outcome, timeout)
            except asyncio.TimeoutError:
                raise JoinFailed(f"the network did not come up within {timeout:g} s") from None
        finally:
            self._ezsp.remove_callback(listener)
        if status != t.sl_Status.NETWORK_UP:
            raise JoinFailed(f"join failed: stack status {status!r}")
        (node_id,) = await self._call("getNodeId")
        self._net = NetworkInfo(target.channel, target.pan_id, target.extended_pan_id, int(node_id), bytes(16))
        status, tc = await self._call("lookupEui64ByNodeId", t.EmberNodeId(0x0000))
        if _ok(status):
            self._tc_eui = eui64_int(tc)
            self._learn(0x0000, self._tc_eui)
        return self._net

    def set_channel(self, channel: int) -> None:
        if not 11 <= channel <= 26:
            raise ValueError(f"channel {channel} is not a 2.4 GHz channel (11-26)")
        self._run(self._checked("setRadioChannel", channel), "set radio channel")

    def leave(self) -> None:
        if self._net is not None:
            self._run(self._ezsp.leaveNetwork(), "leave")
            self._net = None

    def network(self) -> NetworkInfo | None:
        return self._net

    def permit_joining(self, eui: int, link_key: bytes, duration: float) -> None:
        if self.ezsp_version < 5:
            raise RadioFault("EZSP v4 cannot hold a transient (install-code) link key")
        self._run(self._permit(eui, bytes(link_key), duration), "permit joining")
        self._tell_key(link_key, f"install-code link key {eui:016X}")

    async def _permit(self, eui: int, key: bytes, duration: float) -> None:
        status = await self._ezsp.add_transient_link_key(eui64_type(eui), t.KeyData(key))
        if not _ok(status):
            raise RadioFault(f"EZSP: transient link key for {eui:016X} refused: {status!r}")
        await self._checked("setPolicy", t.EzspPolicyId.TRUST_CENTER_POLICY, self._open_policy())
        await self._checked("permitJoining", max(1, min(MAX_PERMIT, math.ceil(duration))))
        self._keys[eui] = self._transient[eui] = key
        self._permit_until[eui] = self._now() + duration
        self._schedule_tick(eui, duration)

    def _schedule_tick(self, eui: int, seconds: float) -> None:
        """`_permit_tick` after `seconds` (at most one permitJoining slice) of the run's clock, handed to the
        radio's caller like a delivery (clock timers may fire on any thread)."""
        seconds = min(seconds, MAX_PERMIT)
        tick = lambda: self._inbox.put(lambda: self._permit_tick(eui))   # noqa: E731
        old = self._permits.pop(eui, None)
        if old is not None:
            old.cancel()
        if self._clock is not None:
            self._permits[eui] = self._clock.call_at(self._now() + seconds, tick)
        else:
            self._permits[eui] = asyncio.get_running_loop().call_later(seconds, tick)

    def _permit_tick(self, eui: int) -> None:
        """A permit's window (or one 254 s slice of it) is over: renew it, or close joining when none is left."""
        until = self._permit_until.get(eui)
        if until is None:
            return
        left = until - self._now()
        if left > 0.5:
            self._run(self._renew(eui, left), "renew permit")
            return
        if self._net is not None:
            self._run(self._withdraw(eui), "close the permit")
        else:
            self._drop_permit(eui)

    async def _renew(self, eui: int, left: float) -> None:
        await self._checked("permitJoining", max(1, min(MAX_PERMIT, math.ceil(left))))
        self._schedule_tick(eui, left)

    def _drop_permit(self, eui: int) -> bool:
        """Forget `eui`'s permit; whether it had one."""
        self._transient.pop(eui, None)
        return self._permit_until.pop(eui, None) is not None

    async def _withdraw(self, eui: int) -> None:
        """`eui` may no longer join: its transient key leaves the NCP (the others' stay: permitJoining opens the
        whole network, the key is what admits one device), and joining closes when no permit is left."""
        if not self._drop_permit(eui):
            return
        # transient keys cannot be withdrawn one by one: clear them all and put the others back
        await self._call("clearTransientLinkKeys")
        for other, key in self._transient.items():
            status = await self._ezsp.add_transient_link_key(eui64_type(other), t.KeyData(key))
            if not _ok(status):
                raise RadioFault(f"EZSP: transient link key for {other:016X} refused: {status!r}")
        if not self._permit_until:
            await self._close_joining()

    async def _close_joining(self) -> None:
        await self._checked("permitJoining", 0)
        await self._checked("setPolicy", t.EzspPolicyId.TRUST_CENTER_POLICY, self._closed_policy())

    def remove_device(self, eui: int) -> None:
        self._run(self._remove(eui), "remove device")

    async def _remove(self, eui: int) -> None:
        handle = self._permits.pop(eui, None)
        if handle is not None:
            handle.cancel()
        self._keys.pop(eui, None)
        await self._withdraw(eui)
        await self._erase_key(eui)
        nwk = self._eui_to_nwk.get(eui)
        if nwk is not None:
            await self._checked("removeDevice", t.EmberNodeId(nwk), eui64_type(eui), eui64_type(eui))

    async def _erase_key(self, eui: int) -> None:
        entry = await self._key_entry(eui)
        if entry is not None:
            await self._checked("eraseKeyTableEntry", entry[0])

    async def _key_entry(self, eui: int) -> tuple[int, bytes] | None:
        """(index, key) of `eui`'s key-table entry on the NCP, or None."""
        if self.ezsp_version < 13:
            (index,) = await self._call("findKeyTableEntry", eui64_type(eui), True)
            if int(index) == 0xFF:
                return None
            status, entry = await self._call("getKeyTableEntry", index)
            return (int(index), entry.key.serialize()) if _ok(status) else None
        result = await self._call("exportLinkKeyByEui", eui64_type(eui))
        if self.ezsp_version >= 14:
            status, context, key, _meta = result
            index = context.key_index
        else:
            key, index, _meta, status = result
        return (int(index), key.serialize()) if _ok(status) else None

    async def _tc_link_key(self) -> bytes | None:
        if self.ezsp_version < 13:
            status, entry = await self._call("getKey", t.EmberKeyType.TRUST_CENTER_LINK_KEY)
            return entry.key.serialize() if _ok(status) else None
        result = await self._call("exportKey", self._tc_context())
        key, status = (result[1], result[0]) if self.ezsp_version >= 14 else (result[0], result[1])
        return key.serialize() if _ok(status) else None

    def _tc_context(self) -> Any:
        return t.SecurityManagerContextV13(core_key_type=t.SecurityManagerKeyType.TC_LINK, key_index=0,
                                           derived_type=t.SecurityManagerDerivedKeyTypeV13.NONE,
                                           eui64=eui64_type(self._tc_eui or 0), multi_network_index=0,
                                           flags=t.SecurityManagerContextFlags.NONE, psa_key_alg_permission=0)

    def set_link_key(self, partner: int, key: bytes) -> None:
        self._run(self._set_key(partner, bytes(key)), "set link key")
        self._tell_key(key, f"link key {self.eui64:016X}<->{partner:016X}")

    def _joined_to_tc(self, partner: int) -> bool:
        return self._net is not None and self._tc_eui == partner and self._tc_eui != self.eui64

    async def _set_key(self, partner: int, key: bytes) -> None:
        if self._joined_to_tc(partner):
            # the joiner's key with its trust centre is the trust-centre link key, not an application key
            if self.ezsp_version >= 13:
                await self._checked("importKey", self._tc_context(), t.KeyData(key))
            else:   # [I] EmberZNet 6.x updates the TC link key for the trust centre's address
                await self._checked("addOrUpdateKeyTableEntry", eui64_type(partner), True, t.KeyData(key))
        elif self.ezsp_version >= 13:
            # index 0xFF: update the entry for this EUI-64 or take a free one [I: EmberZNet sec-man import]
            await self._checked("importLinkKey", 0xFF, eui64_type(partner), t.KeyData(key))
        else:
            await self._checked("addOrUpdateKeyTableEntry", eui64_type(partner), True, t.KeyData(key))
        self._keys[partner] = key

    def get_link_key(self, partner: int) -> bytes | None:
        """Asked of the NCP: its trust-centre link key for our trust centre, else its key table's entry."""
        return self._run(self._get_key(partner), "read link key")

    async def _get_key(self, partner: int) -> bytes | None:
        if self._joined_to_tc(partner):
            return await self._tc_link_key()
        entry = await self._key_entry(partner)
        return entry[1] if entry else None

    # ---- data -----------------------------------------------------------------------------------------------
    def send_aps(self, dst: int, cluster: int, payload: bytes, *, profile: int = PROFILE_SE, src_ep: int = 1,
                 dst_ep: int = 1, aps_security: bool = True, timeout: float = 5.0, wait: bool = True) -> None:
        if self._closed:    # a timer of a session already over: nothing is sent, as from a radio off the medium
            if wait:
                raise DeliveryFailed(f"the radio on {self._port} is closed")
            return
        self._run(self._send_aps(dst, cluster, bytes(payload), profile, src_ep, dst_ep, aps_security, wait),
                  "send APS", timeout)

    async def _send_aps(self, dst: int, cluster: int, payload: bytes, profile: int, src_ep: int, dst_ep: int,
                        aps_security: bool, wait: bool) -> None:
        nwk = self._eui_to_nwk.get(dst)
        if nwk is None:
            result = await self._call("lookupNodeIdByEui64", eui64_type(dst))
            node_id = result[-1]     # v14+: (status, nodeId); earlier: (nodeId,)
            if int(node_id) == 0xFFFF or (len(result) > 1 and not _ok(result[0])):
                raise DeliveryFailed(f"no network address known for {dst:016X}")
            nwk = int(node_id)
        options = t.EmberApsOption.APS_OPTION_RETRY | t.EmberApsOption.APS_OPTION_ENABLE_ROUTE_DISCOVERY
        if aps_security:
            options |= t.EmberApsOption.APS_OPTION_ENCRYPTION
        limit = self.max_payload - (APS_ENCRYPTION_OVERHEAD if aps_security else 0)
        if len(payload) <= limit:
            frame = t.EmberApsFrame(profileId=profile, clusterId=cluster, sourceEndpoint=src_ep,
                                    destinationEndpoint=dst_ep, options=options, groupId=0, sequence=0)
            await self._unicast(dst, nwk, frame, payload, wait)
            return
        # APS fragmentation (a window of one block): block 0 names the block count in groupId's high octet, every
        # block its number in the low octet; later blocks carry block 0's sequence
        size = limit - APS_FRAGMENT_OVERHEAD
        blocks = [payload[i:i + size] for i in range(0, len(payload), size)]
        if len(blocks) > 0xFF:
            raise DeliveryFailed(f"a {len(payload)}-octet message is beyond APS fragmentation ({0xFF} blocks)")
        sequence = 0
        for number, block in enumerate(blocks):
            frame = t.EmberApsFrame(profileId=profile, clusterId=cluster, sourceEndpoint=src_ep,
                                    destinationEndpoint=dst_ep, options=options | t.EmberApsOption.APS_OPTION_FRAGMENT,
                                    groupId=(len(blocks) << 8) if number == 0 else number, sequence=sequence)
            try:
                sequence = await self._unicast(dst, nwk, frame, block, True)
            except DeliveryFailed as exc:
                if wait:
                    raise
                self.drops.append((self._now(), f"block {number} of {len(blocks)} to {dst:016X}: {exc}"))
                return

    async def _unicast(self, dst: int, nwk: int, frame: t.EmberApsFrame, payload: bytes, wait: bool) -> int:
        """sendUnicast, awaiting messageSentHandler when `wait`; the sequence the NCP gave it."""
        self._tag = (self._tag + 1) & 0xFF
        tag = self._tag
        sent = asyncio.get_running_loop().create_future()
        self._sent[tag] = sent
        try:
            status, sequence = await self._call("sendUnicast", t.EmberOutgoingMessageType.OUTGOING_DIRECT,
                                                t.EmberNodeId(nwk), frame, tag, payload)
            if not _ok(status):
                raise DeliveryFailed(f"sendUnicast to {dst:016X} refused: {status!r}")
            if wait:
                delivered = await sent
                if not _ok(delivered):
                    raise DeliveryFailed(f"no APS ack from {dst:016X} for cluster 0x{frame.clusterId:04x}: "
                                         f"{delivered!r}")
            return int(sequence)
        finally:
            self._sent.pop(tag, None)

    def send_interpan(self, dst_pan: int, dst: int | None, cluster: int, payload: bytes, *,
                      profile: int = PROFILE_SE, link_key: bytes | None = None) -> None:
        if self._closed:
            return
        frame = interpan.InterPanFrame(cluster, profile, aps.UNICAST if dst is not None else aps.BROADCAST,
                                       payload=bytes(payload))
        if link_key:
            self._aps_fc += 1
            body = security.secure_interpan(frame, link_key, self._aps_fc, self.eui64)
        else:
            body = interpan.encode(frame)
        src_pan = self._net.pan_id if self._net else mac.BROADCAST_PAN
        # the NCP fills in the MAC sequence number
        raw = mac.encode(interpan.mac_frame(0, dst_pan, mac.BROADCAST_SHORT if dst is None else dst, dst is not None,
                                            src_pan, self.eui64, body))
        self._run(self._send_raw(raw), "send inter-PAN")

    async def _send_raw(self, raw: bytes) -> None:
        if self.ezsp_version >= 8:     # 0x0051; bellows drops 0x96 sendRawMessage from v14
            await self._checked("sendRawMessageExtended", raw, 0, True)
        else:
            await self._checked("sendRawMessage", raw)

    def set_interpan(self, enabled: bool) -> None:
        self._run(self._set_interpan(enabled), "set inter-PAN")

    def set_interpan_key(self, partner: int, key: bytes) -> None:
        if len(key) != 16:
            raise ValueError("link keys are 16 octets")
        self._interpan_keys[partner] = bytes(key)
        self._tell_key(key, f"inter-PAN link key {self.eui64:016X}<->{partner:016X}")

    async def _set_interpan(self, enabled: bool) -> None:
        """Filters stay installed once set (an empty list is no "off" switch); disabling drops frames host-side."""
        if enabled and self.mac_filter_supported:
            values = b"".join(v.to_bytes(2, "little") for v in INTERPAN_FILTERS)
            await self._checked("setValue", t.EzspValueId(VALUE_MAC_FILTER_LIST), values)
        elif not self.mac_filter_supported:
            flags = bytes([MAC_PASSTHROUGH_SE_INTERPAN if enabled else 0])
            await self._checked("setValue", t.EzspValueId.VALUE_MAC_PASSTHROUGH_FLAGS, flags)
        self._interpan = enabled

    def on_message(self, callback: Callable[[Message], None] | None) -> None:
        self._on_message = callback

    def on_join_event(self, callback: Callable[[JoinEvent], None] | None) -> None:
        self._on_join = callback

    def poll(self) -> None:
        """Hand queued deliveries to the callbacks (on this thread; not from inside a callback)."""
        if self._dispatching:
            return
        self._dispatching = True
        try:
            while True:
                try:
                    task = self._inbox.get_nowait()
                except queue.Empty:
                    return
                task()
        finally:
            self._dispatching = False

    def receive(self, timeout: float = 5.0) -> Message | None:
        if self._driver is not None:
            self._driver.wait(lambda: not self._queue.empty(), timeout)
            self.poll()
            return None if self._queue.empty() else self._queue.get_nowait()
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            try:
                return self._queue.get(timeout=min(0.01, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    return None

    def events(self) -> list[JoinEvent]:
        self.poll()
        out = []
        while not self._events.empty():
            out.append(self._events.get_nowait())
        return out

    def close(self) -> None:
        self._closed = True
        try:
            self._loop.run(self._ezsp.disconnect(), 5.0, "disconnect")
        finally:
            self._loop.stop()

    # ---- callbacks (on the loop thread) ---------------------------------------------------------------------
    def _callback(self, name: str, args: list) -> None:
        self.callbacks_seen += 1
        try:
            handler = getattr(self, "_cb_" + name, None)
            if handler is not None:
                handler(args)
        except InputError as exc:   # malformed inbound frame: dropped, with the reason kept
            self.drops.append((self._now(), f"{name}: {exc}"))

    def _cb_messageSentHandler(self, args: list) -> None:
        status, tag = (args[0], args[4]) if self.ezsp_version >= 14 else (args[4], args[3])
        future = self._sent.get(int(tag))
        if future is not None and not future.done():
            future.set_result(status)

    def _cb_incomingMessageHandler(self, args: list) -> None:
        aps_frame, payload = args[1], bytes(args[-1])
        if self.ezsp_version >= 14:
            nwk, eui = int(args[2]), eui64_int(args[3])
        else:
            nwk = int(args[4])
            eui = self._nwk_to_eui.get(nwk)
        if aps_frame.profileId == 0 and aps_frame.clusterId == ZDO_DEVICE_ANNOUNCE and len(payload) >= 11:
            eui = int.from_bytes(payload[3:11], "little")
            self._learn(nwk, eui)
            self._event(eui, nwk, "joined")
            return
        if eui is None:
            self.drops.append((self._now(), f"message from unknown network address 0x{nwk:04x}"))
            return
        if aps_frame.options & t.EmberApsOption.APS_OPTION_FRAGMENT:
            payload = self._reassemble(nwk, aps_frame, payload)
            if payload is None:
                return
        secured = bool(aps_frame.options & t.EmberApsOption.APS_OPTION_ENCRYPTION)
        self._deliver(ApsMessage(eui, nwk, aps_frame.sourceEndpoint, aps_frame.destinationEndpoint,
                                 aps_frame.clusterId, aps_frame.profileId, payload, secured))

    def _reassemble(self, nwk: int, aps_frame: t.EmberApsFrame, block: bytes) -> bytes | None:
        """One block of a fragmented message: the whole message once its last block is in, else None. Block 0
        names the count; a block that repeats replaces its copy."""
        key = (nwk, int(aps_frame.sequence), int(aps_frame.clusterId))
        number, count = int(aps_frame.groupId) & 0xFF, int(aps_frame.groupId) >> 8
        if key not in self._partial and len(self._partial) >= REASSEMBLY_LIMIT:
            self._partial.pop(next(iter(self._partial)))
        total, blocks = self._partial.setdefault(key, (count if number == 0 else None, {}))
        if number == 0:
            total = count
            self._partial[key] = (total, blocks)
        blocks[number] = block
        if total is None or any(n not in blocks for n in range(total)):
            return None
        del self._partial[key]
        return b"".join(blocks[n] for n in range(total))

    def _cb_trustCenterJoinHandler(self, args: list) -> None:
        nwk, eui, status, decision = int(args[0]), eui64_int(args[1]), args[2], args[3]
        if status == t.EmberDeviceUpdate.DEVICE_LEFT:
            kind = "left"
        elif decision == t.EmberJoinDecision.DENY_JOIN:
            kind = "denied"
        else:
            self._learn(nwk, eui)
            kind = "key_sent"
        self._event(eui, nwk, kind)

    def _cb_macFilterMatchMessageHandler(self, args: list) -> None:
        self._rx_interpan(bytes(args[-1]))

    def _cb_macPassthroughMessageHandler(self, args: list) -> None:
        self._rx_interpan(bytes(args[-1]))

    def _rx_interpan(self, raw: bytes) -> None:
        if not self._interpan:
            return
        frame = mac.decode(raw)
        if frame.frame_type != mac.DATA or frame.src_mode != mac.ADDR_LONG or not interpan.is_interpan(frame.payload):
            return
        ip = interpan.decode(frame.payload, len(raw) - len(frame.payload))
        if ip.security:
            key = self._interpan_keys.get(frame.src, self._keys.get(frame.src))
            if key is None:
                return
            ip = security.open_interpan(frame.payload, key, frame.src)
        self._deliver(InterPanMessage(frame.src, frame.src_pan, frame.dst_pan, frame.dst, ip.cluster, ip.profile,
                                      ip.payload, ip.security))

    def _tell_key(self, key: bytes, label: str) -> None:
        """On the caller's thread (the keys file is the capture's, written from there)."""
        if self.key_sink is not None:
            self.key_sink(bytes(key), label)

    def _learn(self, nwk: int, eui: int) -> None:
        self._nwk_to_eui[nwk] = eui
        self._eui_to_nwk[eui] = nwk

    def _deliver(self, message: Message) -> None:
        self._inbox.put(lambda: self._on_message(message) if self._on_message is not None
                        else self._queue.put(message))

    def _event(self, eui: int, nwk: int, kind: str) -> None:
        event = JoinEvent(eui, nwk, kind, self._now())

        def hand_out() -> None:
            if self._on_join is not None:
                self._on_join(event)
            else:
                self._events.put(event)
        self._inbox.put(hand_out)


class _BlocksPassThrough:
    """Stands in for bellows' FragmentManager: every block goes on to the radio's callback unchanged (bellows still
    acknowledges each with sendReply)."""

    def handle_incoming_fragment(self, sender_nwk: int, aps_sequence: int, profile_id: int, cluster_id: int,
                                 fragment_count: int, fragment_index: int, payload: Any) -> tuple:
        return True, payload, fragment_count, fragment_index


def probe(port: str, baud: int = 115200, timeout: float = 10.0, flow_control: str | None = None) -> tuple[bool, str]:
    """Is there an EZSP NCP on `port`? (ok, detail) for `rig bench check`; never raises."""
    loop = _LoopThread()
    ezsp = EZSP(device_config(port, baud, flow_control))

    async def check() -> str:
        await ezsp.connect(use_thread=False)
        try:
            (eui,) = await ezsp.getEui64()
            return f"EZSP v{ezsp.ezsp_version} NCP, EUI-64 {eui64_int(eui):016X}"
        finally:
            await ezsp.disconnect()

    try:
        return True, loop.run(check(), timeout, "probe")
    except Exception as exc:   # any failure is the answer "no usable NCP here"
        return False, f"no EZSP NCP on {port} at {baud} baud: {type(exc).__name__}: {exc}"
    finally:
        loop.stop()
