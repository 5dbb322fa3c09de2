"""The EmberZNet behaviour model behind the emulated NCP: what the stack holds and decides, per EZSP command.

State an EmberZNet NCP keeps in RAM (configuration, policies, endpoints, transient keys, MAC filters; lost on
reset) and in tokens (`Tokens`: the network, the trust-centre link key, the key table, frame counters; kept across
resets, taken back by networkInit). Its radio is an `AirNode` on the simulated medium, so every frame it sends is
in the bench's capture.

Trust-centre decisions follow the TRUST_CENTER_POLICY of the negotiated version: below v8 a decision id
(0 ALLOW_JOINS = network key in the clear, 1 ALLOW_PRECONFIGURED_KEY_JOINS = key under the joiner's link key,
2/3 no joins); from v8 a bitmask (ALLOW_JOINS 0x01, SEND_KEY_IN_CLEAR 0x04, JOINS_USE_INSTALL_CODE_KEY 0x10: only
joiners with a transient key). The joiner's link key is its transient key, else its key-table entry, else the
trust centre's preconfigured (global) key. Key tables are separate: a joiner protects traffic with its trust
centre under the trust-centre link key whatever its application key table holds for that address.

Packet capture (UG100 mfglib frames): after mfglibStart(rxCallback=true) on a node with no network, every frame
the radio hears on the mfglib channel goes to the host as mfglibRxHandler, and nothing else is done with it.

Handlers are named after EZSP frames, take the decoded request (version-specific field names normalised by the
caller) and return the response fields; callbacks go to `emit(name, fields)`; work that happens after the
response (a join, an APS send) is queued with `later`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

from emulators.medium.medium import Medium
from emulators.ncp.air import (DECISION_CLEAR, DECISION_DENY, DECISION_PRECONFIGURED, AirNode)
from harness.errors import InputError
from harness.zigbee import aps, mac, zdo
from rig.radios.protocol import ApsMessage, DeliveryFailed, JoinFailed, Message, NetworkInfo

# EzspConfigId values the model keeps (UG100 defaults where the guide gives one; the others are accepted and kept)
CONFIG_SECURITY_LEVEL, CONFIG_KEY_TABLE_SIZE, CONFIG_APPLICATION_ZDO_FLAGS = 0x0D, 0x1E, 0x2A
CONFIG_MAC_FILTER_TABLE_SIZE, CONFIG_TRANSIENT_KEY_TIMEOUT_S = 0x2C, 0x36
CONFIG_DEFAULTS = {0x01: 75, 0x02: 16, 0x03: 10, 0x04: 2, 0x05: 8, 0x06: 8, 0x07: 16, 0x08: 8, 0x0C: 2,
                   CONFIG_SECURITY_LEVEL: 5, 0x10: 30, 0x11: 6, CONFIG_KEY_TABLE_SIZE: 0,
                   CONFIG_APPLICATION_ZDO_FLAGS: 0, CONFIG_MAC_FILTER_TABLE_SIZE: 0,
                   CONFIG_TRANSIENT_KEY_TIMEOUT_S: 300}
KNOWN_CONFIG = set(range(0x01, 0x0B)) | {0x0C, 0x0D} | set(range(0x10, 0x25)) | set(range(0x29, 0x3A)) | {0x40, 0x41, 0x42}
ZDO_APP_RECEIVES_SUPPORTED, ZDO_APP_HANDLES_UNSUPPORTED, ZDO_APP_HANDLES_ENDPOINT = 0x01, 0x02, 0x04
ZDO_ENDPOINT_REQUESTS = {0x0004, 0x0005, zdo.MATCH_DESC_REQ}   # Simple_Desc, Active_EP, Match_Desc
ZDO_DEVICE_ANNOUNCE = 0x0013
POLICY_TRUST_CENTER = 0x00
TC_ALLOW_JOINS, TC_SEND_KEY_IN_CLEAR, TC_INSTALL_CODE_ONLY = 0x01, 0x04, 0x10
LEGACY_ALLOW_JOINS, LEGACY_PRECONFIGURED_KEY_JOINS = 0x00, 0x01
VALUE_MAC_PASSTHROUGH_FLAGS, VALUE_MAC_FILTER_LIST, VALUE_VERSION_INFO = 0x01, 0x09, 0x11
PASSTHROUGH_SE_INTERPAN = 0x01
SECURITY_HAVE_PRECONFIGURED_KEY, SECURITY_HAVE_NETWORK_KEY = 0x0100, 0x0200
SECURITY_REQUIRE_ENCRYPTED_KEY = 0x0800
KEY_TYPE_TC_LINK, KEY_TYPE_APP_LINK = 0x02, 0x04
NODE_COORDINATOR, NODE_ROUTER = 0x01, 0x02
NETWORK_NONE, NETWORK_JOINED = 0x00, 0x02
APS_OPTION_ENCRYPTION, APS_OPTION_FRAGMENT = 0x0020, 0x8000
# [I] maximumPayloadLength: the APS payload an unsecured, unfragmented unicast may carry in one 127-octet frame; APS
# encryption takes 9 octets of it (aux header 5 + MIC 4) and fragmentation 2 (extended header), as a host's
# emberAfMaximumApsPayloadLength reckons. (The simulated medium itself carries longer frames.)
MAX_APS_PAYLOAD, APS_ENCRYPTION_OVERHEAD, APS_FRAGMENT_OVERHEAD = 82, 9, 2
INCOMING_UNICAST, INCOMING_BROADCAST = 0x00, 0x03
APS_ATTEMPT_WINDOW = 4.8       # three APS attempts at EmberZNet's default 1.6 s ack timeout
FRAME_COUNTER_JUMP = 4096      # EmberZNet writes NWK frame counters to tokens in steps; a reset skips ahead


@dataclass
class Tokens:
    """Non-volatile state: survives `reset()` of the NCP."""
    network: NetworkInfo | None = None
    node_type: int = 0
    tc_eui: int | None = None
    tc_link_key: bytes | None = None
    key_table: list = field(default_factory=list)        # [None | (eui, key)]
    nwk_frame_counter: int = 0
    aps_frame_counter: int = 0


class EmberStack:
    """One NCP's stack (see the module docstring). `emit(name, fields)` sends a callback to the host;
    `later(fn)` runs `fn` after the current command's response has been sent."""

    def __init__(self, medium: Medium, eui64: int, name: str, version: int, tokens: Tokens,
                 emit: Callable[[str, dict], None], later: Callable[[Callable[[], None]], None], channel: int = 11):
        self.medium, self.clock, self.eui64, self.version = medium, medium.clock, eui64, version
        self.tokens = tokens
        self.emit, self.later = emit, later
        self.config = dict(CONFIG_DEFAULTS)
        self.policies: dict[int, int] = {POLICY_TRUST_CENTER: LEGACY_PRECONFIGURED_KEY_JOINS if version < 8
                                         else TC_ALLOW_JOINS}
        self.endpoints: dict[int, dict] = {}
        self.transient: dict[int, tuple[bytes, float]] = {}
        self.mac_filters: list[int] = []
        self.passthrough = 0
        self.security_bitmask = 0
        self.preconfigured_key: bytes | None = None
        self._network_key: bytes | None = None
        self._key_seq = 0
        self.initialised = False
        self.mfglib = False          # mfglibStart ran (test mode: no networking)
        self.capturing = False       # ... and every frame heard goes to the host (mfglibRxHandler)
        self._next_seq = 0
        self._tx_counters: dict[int, int] = {}                       # fragmented message: sequence -> APS counter
        self._rx_counts: dict[tuple[int, int], int] = {}             # (source, APS counter) -> its block count
        self.air = AirNode(self, medium, eui64, name, channel)
        self.air.set_counters(tokens.nwk_frame_counter, tokens.aps_frame_counter)

    def close(self) -> None:
        """Power off: counters to tokens (with EmberZNet's skip-ahead), radio off the medium."""
        nwk_fc, aps_fc = self.air.counters()
        self.tokens.nwk_frame_counter = nwk_fc + FRAME_COUNTER_JUMP
        self.tokens.aps_frame_counter = aps_fc + FRAME_COUNTER_JUMP
        self.air.close()

    # ---- decisions the air side asks for ------------------------------------------------------------------------
    def join_decision(self, eui: int) -> tuple[int, bytes | None]:
        policy = self.policies.get(POLICY_TRUST_CENTER, 0)
        transient = self._transient(eui)
        key = transient or self._key_table_key(eui) or self.preconfigured_key
        if self.version < 8:
            if policy == LEGACY_ALLOW_JOINS:
                return DECISION_CLEAR, None
            if policy == LEGACY_PRECONFIGURED_KEY_JOINS and key is not None:
                return DECISION_PRECONFIGURED, key
            return DECISION_DENY, None
        if not policy & TC_ALLOW_JOINS:
            return DECISION_DENY, None
        if policy & TC_SEND_KEY_IN_CLEAR:
            return DECISION_CLEAR, None
        if policy & TC_INSTALL_CODE_ONLY:
            return (DECISION_PRECONFIGURED, transient) if transient else (DECISION_DENY, None)
        return (DECISION_PRECONFIGURED, key) if key else (DECISION_DENY, None)

    def require_encrypted_key(self) -> bool:
        return bool(self.security_bitmask & SECURITY_REQUIRE_ENCRYPTED_KEY)

    def tc_joined(self, eui: int, short: int, update: int, decision: int) -> None:
        self.emit("trustCenterJoinHandler", {"newNodeId": short, "newNodeEui64": eui, "status": update,
                                             "policyDecision": decision, "parentOfNewNodeId": 0x0000})

    def device_authenticated(self, eui: int) -> None:
        """A joiner sent its first frame under the network key: the trust centre keeps the key it joined with in
        its key table (when there is room; never over a newer key). [I] The transient key stays until
        CONFIG_TRANSIENT_KEY_TIMEOUT_S or the host clears it: a device that left (e.g. after a failed CBKE) may
        join again with it meanwhile."""
        transient = self._transient(eui)
        if transient is not None and self._key_table_key(eui) is None and self._store_key(eui, transient):
            self._apply_keys()

    def device_announce(self, src_short: int, frame: Any) -> None:
        self._to_host(frame.profile, frame.cluster, frame.src_ep, frame.dst_ep, src_short,
                      self.air.eui_of(src_short) or 0, frame.payload, False, broadcast=True)

    def incoming(self, message: Message, counter: int = 0, block: tuple[int, int | None] | None = None) -> None:
        """A message the air side received; `block`: (number, count or None) when it is one block of a fragmented
        message (APS counter `counter`), handed to the host as such (APS_OPTION_FRAGMENT, the block number in the
        low octet of groupId and the block count in its high octet: [I] the count is repeated from the first
        block on the later ones)."""
        if not isinstance(message, ApsMessage):
            return
        if message.profile == zdo.PROFILE_ZDO and message.cluster < 0x8000:
            self._zdo_request(message)
            return
        if message.profile != zdo.PROFILE_ZDO and message.dst_ep not in self.endpoints and message.dst_ep != 0xFF:
            self.air.drops.append((self.clock.now(), f"no endpoint {message.dst_ep} on the NCP"))
            return
        fragment = None
        if block is not None:
            number, count = block
            key = (message.src, counter)
            if count is not None:
                self._rx_counts[key] = count
                while len(self._rx_counts) > 16:
                    self._rx_counts.pop(next(iter(self._rx_counts)))
            fragment = (counter, (self._rx_counts.get(key, 0) << 8) | number)
        self._to_host(message.profile, message.cluster, message.src_ep, message.dst_ep, message.src_short,
                      message.src, message.payload, message.aps_secured, message.broadcast, fragment)

    def raw_mac_frame(self, frame: mac.MacFrame) -> None:
        raw = mac.encode(frame)
        for index, value in enumerate(self.mac_filters):
            if self._filter_matches(value, frame):
                fields = {"legacyPassthroughType": PASSTHROUGH_SE_INTERPAN, "messageContents": raw}
                fields.update({"filterValueMatch": value} if self.version >= 18 else {"filterIndexMatch": index})
                self.emit("macFilterMatchMessageHandler", self._rx_info(fields, frame))
                return
        if self.passthrough & PASSTHROUGH_SE_INTERPAN:
            self.emit("macPassthroughMessageHandler",
                      self._rx_info({"messageType": PASSTHROUGH_SE_INTERPAN, "messageContents": raw}, frame))

    def captured(self, psdu: bytes) -> None:
        """Packet-capture mode: a frame heard on the channel, as the radio received it (UG100 mfglibRxHandler:
        the MPDU and two octets where its FCS was, which a host must not read as an FCS). [I] a frame failing its
        FCS is dropped by the radio, not reported."""
        if mac.fcs(psdu[:-2]) != psdu[-2:]:
            self.air.drops.append((self.clock.now(), "packet capture: bad FCS"))
            return
        self.emit("mfglibRxHandler", {"linkQuality": 255, "rssi": -40, "packetContents": psdu})

    # ---- EZSP handlers: packet capture (mfglib) ----------------------------------------------------------------
    def mfglibStart(self, rxCallback: bool) -> dict:
        """Test mode on a radio that is not on a network; with `rxCallback`, packet capture. [I] refused
        (INVALID_CALL) on a node with a network up, and when already started."""
        if self.mfglib or self.air.network() is not None:
            return {"status": "invalid_call"}
        self.mfglib, self.capturing = True, bool(rxCallback)
        return {"status": "ok"}

    def mfglibEnd(self) -> dict:
        self.mfglib = self.capturing = False
        return {"status": "ok"}

    def mfglibSetChannel(self, channel: int) -> dict:
        if not self.mfglib:
            return {"status": "invalid_call"}
        if not 11 <= channel <= 26:
            return {"status": "invalid_value"}
        self.air.channel = channel
        return {"status": "ok"}

    def mfglibGetChannel(self) -> dict:
        return {"channel": self.air.channel}

    # ---- EZSP handlers: configuration ------------------------------------------------------------------------
    def version_info(self) -> bytes:
        return bytes([0x00, 0x00, 7, 4, 4, 0, 0x00, 0x00, 0x00])   # build 0, EmberZNet 7.4.4.0, GA

    def setConfigurationValue(self, configId: int, value: int) -> dict:
        if configId not in KNOWN_CONFIG:
            return {"status": "invalid_id"}
        if self.initialised:
            return {"status": "invalid_call"}
        self.config[configId] = value
        if configId == CONFIG_KEY_TABLE_SIZE:
            self._resize_key_table()
        return {"status": "ok"}

    def getConfigurationValue(self, configId: int) -> dict:
        if configId not in KNOWN_CONFIG:
            return {"status": "invalid_id", "value": 0}
        return {"status": "ok", "value": self.config.get(configId, 0)}

    def setPolicy(self, policyId: int, decisionId: int) -> dict:
        self.policies[policyId] = decisionId
        return {"status": "ok"}

    def addEndpoint(self, endpoint: int, profileId: int, deviceId: int, deviceVersion: int,
                    inputClusterList: list, outputClusterList: list, **_: Any) -> dict:
        if self.initialised or endpoint in self.endpoints or not 1 <= endpoint <= 254:
            return {"status": "invalid_call"}
        self.endpoints[endpoint] = {"profile": profileId, "device": deviceId, "version": deviceVersion,
                                    "in": tuple(inputClusterList), "out": tuple(outputClusterList)}
        return {"status": "ok"}

    def getValue(self, valueId: int) -> dict:
        if valueId == VALUE_VERSION_INFO:
            return {"status": "ok", "value": self.version_info()}
        if valueId == VALUE_MAC_FILTER_LIST:
            return {"status": "ok", "value": b"".join(v.to_bytes(2, "little") for v in self.mac_filters)}
        if valueId == VALUE_MAC_PASSTHROUGH_FLAGS:
            return {"status": "ok", "value": bytes([self.passthrough])}
        return {"status": "invalid_id", "value": b""}

    def setValue(self, valueId: int, value: bytes) -> dict:
        if valueId == VALUE_MAC_FILTER_LIST:
            if len(value) % 2:
                return {"status": "invalid_value"}
            filters = [int.from_bytes(value[i:i + 2], "little") for i in range(0, len(value), 2)]
            if len(filters) > self.config[CONFIG_MAC_FILTER_TABLE_SIZE]:
                return {"status": "invalid_value"}
            self.mac_filters = filters
            return {"status": "ok"}
        if valueId == VALUE_MAC_PASSTHROUGH_FLAGS:
            if len(value) != 1:
                return {"status": "invalid_value"}
            self.passthrough = value[0]
            return {"status": "ok"}
        return {"status": "invalid_id"}

    # ---- EZSP handlers: network ---------------------------------------------------------------------------------
    def getEui64(self) -> dict:
        return {"eui64": self.eui64}

    def getNodeId(self) -> dict:
        net = self.air.network()
        return {"nodeId": net.short if net else 0xFFFE}

    def networkState(self) -> dict:
        return {"status": NETWORK_JOINED if self.air.network() else NETWORK_NONE}

    def networkInit(self, **_: Any) -> dict:
        self.initialised = True
        t = self.tokens
        if t.network is None:
            return {"status": "not_joined"}
        self.air.restore(t.network, t.tc_eui if t.tc_eui is not None else self.eui64, t.node_type == NODE_COORDINATOR)
        self._apply_keys()
        self.later(lambda: self.emit("stackStatusHandler", {"status": "network_up"}))
        return {"status": "ok"}

    def getNetworkParameters(self) -> dict:
        net = self.air.network()
        if net is None:
            return {"status": "not_joined", "nodeType": 0, "parameters": _params(NetworkInfo(0, 0, 0, 0, b""))}
        return {"status": "ok", "nodeType": self.tokens.node_type, "parameters": _params(net)}

    def setInitialSecurityState(self, state: dict) -> dict:
        if self.air.network() is not None:
            return {"status": "invalid_call"}
        self.security_bitmask = state["bitmask"]
        self.preconfigured_key = state["preconfiguredKey"] if state["bitmask"] & SECURITY_HAVE_PRECONFIGURED_KEY \
            else None
        self._network_key = state["networkKey"] if state["bitmask"] & SECURITY_HAVE_NETWORK_KEY else None
        self._key_seq = state["networkKeySequenceNumber"]
        return {"status": "ok"}

    def getCurrentSecurityState(self) -> dict:
        if self.air.network() is None:
            return {"status": "not_joined", "state": {"bitmask": 0, "trustCenterLongAddress": 0}}
        return {"status": "ok", "state": {"bitmask": 0x0010, "trustCenterLongAddress": self.tokens.tc_eui or 0}}

    def formNetwork(self, parameters: dict) -> dict:
        if self.air.network() is not None:
            return {"status": "invalid_call"}
        if self._network_key is None:
            return {"status": "fail"}
        self.initialised = True
        net = self.air.form_network(parameters["radioChannel"], parameters["panId"], self._network_key,
                                    parameters["extendedPanId"])
        net = NetworkInfo(net.channel, net.pan_id, net.extended_pan_id, 0x0000, net.network_key, self._key_seq)
        self.air.restore(net, self.eui64, True)
        self.tokens.network, self.tokens.node_type, self.tokens.tc_eui = net, NODE_COORDINATOR, self.eui64
        self.tokens.tc_link_key = self.preconfigured_key
        self._apply_keys()
        self.later(lambda: self.emit("stackStatusHandler", {"status": "network_up"}))
        return {"status": "ok"}

    def joinNetwork(self, nodeType: int, parameters: dict) -> dict:
        if self.air.network() is not None:
            return {"status": "invalid_call"}
        if self.preconfigured_key is None:
            return {"status": "fail"}
        self.initialised = True
        self.later(lambda: self._join(nodeType, parameters))
        return {"status": "ok"}

    def _join(self, node_type: int, p: dict) -> None:
        self.air.set_channel(p["radioChannel"])
        try:
            net = self.air.join(p["extendedPanId"], self.preconfigured_key, channels=[p["radioChannel"]])
        except JoinFailed:
            self.emit("stackStatusHandler", {"status": "join_failed"})
            return
        t = self.tokens
        t.network, t.node_type, t.tc_eui, t.tc_link_key = net, node_type, self.air.tc_eui(), self.preconfigured_key
        self._apply_keys()
        self.emit("stackStatusHandler", {"status": "network_up"})

    def leaveNetwork(self, **_: Any) -> dict:
        if self.air.network() is None:
            return {"status": "invalid_call"}
        self.air.leave()
        self.tokens.network, self.tokens.tc_eui, self.tokens.node_type = None, None, 0
        self.air.open_association(None)
        self.later(lambda: self.emit("stackStatusHandler", {"status": "network_down"}))
        return {"status": "ok"}

    def startScan(self, scanType: int, channelMask: int, duration: int) -> dict:
        if scanType != 0x01:        # EZSP_ACTIVE_SCAN; energy scans are not modelled
            return {"status": "invalid_value"}
        channels = [ch for ch in range(11, 27) if channelMask & (1 << ch)]
        seconds = 0.01536 * (2 ** duration + 1)
        self.later(lambda: self._scan(channels, seconds))
        return {"status": "ok"}

    def _scan(self, channels: list[int], seconds: float) -> None:
        for beacon in self.air.active_scan(channels, seconds):
            self.emit("networkFoundHandler", {
                "networkFound": {"channel": beacon.channel, "panId": beacon.pan_id,
                                 "extendedPanId": beacon.extended_pan_id, "allowingJoin": beacon.permit_joining,
                                 "stackProfile": 2, "nwkUpdateId": 0}, "lastHopLqi": 255, "lastHopRssi": -40})
        self.emit("scanCompleteHandler", {"channel": channels[-1] if channels else 0, "status": "ok"})

    def setRadioChannel(self, channel: int) -> dict:
        if not 11 <= channel <= 26:
            return {"status": "invalid_value"}
        self.air.set_channel(channel)
        return {"status": "ok"}

    def permitJoining(self, duration: int) -> dict:
        if self.air.network() is None:
            return {"status": "invalid_call"}
        now = self.clock.now()
        self.air.open_association(None if duration == 0 else float("inf") if duration == 0xFF else now + duration)
        return {"status": "ok"}

    # ---- EZSP handlers: keys ---------------------------------------------------------------------------------
    def addTransientLinkKey(self, partner: int, transientKey: bytes) -> dict:
        self.transient[partner] = (transientKey, self.clock.now() + self.config[CONFIG_TRANSIENT_KEY_TIMEOUT_S])
        self._apply_keys()
        return {"status": "ok"}

    def importTransientKey(self, eui64: int, plaintext_key: bytes, flags: int) -> dict:
        return self.addTransientLinkKey(eui64, plaintext_key)

    def clearTransientLinkKeys(self) -> dict:
        self.transient.clear()
        self._apply_keys()
        return {}

    def importLinkKey(self, index: int, address: int, key: bytes) -> dict:
        table = self.tokens.key_table
        if index != 0xFF:
            if index >= len(table):
                return {"status": "index_out_of_range"}
            table[index] = (address, key)
        elif not self._store_key(address, key):
            return {"status": "table_full"}
        self._apply_keys()
        return {"status": "ok"}

    def addOrUpdateKeyTableEntry(self, address: int, linkKey: int, keyData: bytes) -> dict:
        # [I] EmberZNet 6.x: for the trust centre's own address on a joined (non-TC) node this updates the
        # trust-centre link key, as emberAddOrUpdateKeyTableEntry did for SE key establishment with the TC.
        if self.tokens.tc_eui == address and self.tokens.node_type != NODE_COORDINATOR:
            self.tokens.tc_link_key = keyData
            self._apply_keys()
            return {"status": "ok"}
        return self.importLinkKey(0xFF, address, keyData)

    def findKeyTableEntry(self, address: int, linkKey: int) -> dict:
        for index, entry in enumerate(self.tokens.key_table):
            if entry is not None and entry[0] == address:
                return {"index": index}
        return {"index": 0xFF}

    def eraseKeyTableEntry(self, index: int) -> dict:
        if index >= len(self.tokens.key_table):
            return {"status": "index_out_of_range"}
        self.tokens.key_table[index] = None
        self._apply_keys()
        return {"status": "ok"}

    def clearKeyTable(self) -> dict:
        self.tokens.key_table = [None] * len(self.tokens.key_table)
        self._apply_keys()
        return {"status": "ok"}

    def getKeyTableEntry(self, index: int) -> dict:
        table = self.tokens.key_table
        if index >= len(table):
            return {"status": "index_out_of_range", "keyStruct": _key_struct(0, bytes(16), 0)}
        if table[index] is None:
            return {"status": "table_entry_erased", "keyStruct": _key_struct(0, bytes(16), 0)}
        eui, key = table[index]
        return {"status": "ok", "keyStruct": _key_struct(0x05, key, eui)}

    def getKey(self, keyType: int) -> dict:
        if keyType == 0x01 and self.tokens.tc_link_key is not None:        # TRUST_CENTER_LINK_KEY
            return {"status": "ok", "keyStruct": _key_struct(0x01, self.tokens.tc_link_key, self.tokens.tc_eui or 0)}
        if keyType == 0x03 and self.air.network() is not None:             # CURRENT_NETWORK_KEY
            return {"status": "ok", "keyStruct": _key_struct(0x03, self.air.network().network_key, 0)}
        return {"status": "not_found", "keyStruct": _key_struct(0, bytes(16), 0)}

    def exportLinkKeyByEui(self, eui64: int) -> dict:
        for index, entry in enumerate(self.tokens.key_table):
            if entry is not None and entry[0] == eui64:
                return {"status": "ok", "index": index, "plaintext_key": entry[1],
                        "context": _context(KEY_TYPE_APP_LINK, index, eui64), "key_data": _metadata()}
        return {"status": "not_found", "index": 0xFF, "plaintext_key": bytes(16),
                "context": _context(0, 0xFF, eui64), "key_data": _metadata()}

    def exportKey(self, context: dict) -> dict:
        key = None
        if context["core_key_type"] == KEY_TYPE_TC_LINK:
            key = self.tokens.tc_link_key
        elif context["core_key_type"] == 0x01 and self.air.network() is not None:
            key = self.air.network().network_key
        return {"status": "ok" if key else "not_found", "key": key or bytes(16), "context": context}

    def importKey(self, context: dict, key: bytes) -> dict:
        if context["core_key_type"] != KEY_TYPE_TC_LINK:
            return {"status": "invalid_value", "context": context}
        self.tokens.tc_link_key = key
        self._apply_keys()
        return {"status": "ok", "context": context}

    def getNetworkKeyInfo(self) -> dict:
        net = self.air.network()
        return {"status": "ok" if net else "not_joined", "network_key_info": {
            "network_key_set": net is not None, "alternate_network_key_set": False,
            "network_key_sequence_number": net.key_seq if net else 0, "alt_network_key_sequence_number": 0,
            "network_key_frame_counter": self.air.counters()[0]}}

    def removeDevice(self, destShort: int, destLong: int, targetLong: int) -> dict:
        if self.air.network() is None:
            return {"status": "invalid_call"}
        self.air.leave_request(destShort)
        self.air.forget(targetLong)
        return {"status": "ok"}

    def lookupNodeIdByEui64(self, eui64: int) -> dict:
        short = self.air.short_of(eui64)
        return {"status": "ok" if short is not None else "not_found", "nodeId": 0xFFFF if short is None else short}

    def lookupEui64ByNodeId(self, nodeId: int) -> dict:
        eui = self.air.eui_of(nodeId)
        if nodeId == self.getNodeId()["nodeId"]:
            eui = self.eui64
        return {"status": "ok" if eui is not None else "not_found", "eui64": eui or 0}

    # ---- EZSP handlers: messaging ----------------------------------------------------------------------------
    def maximumPayloadLength(self) -> dict:
        return {"apsLength": MAX_APS_PAYLOAD}

    def sendUnicast(self, destination: int, aps_frame: dict, tag: int, payload: bytes) -> dict:
        """A unicast no longer than the APS payload allows (MESSAGE_TOO_LONG otherwise). With APS_OPTION_FRAGMENT
        it is one block of a message the host fragments: groupId's low octet is the block number, its high octet
        the block count on block 0; later blocks carry block 0's sequence, and share its APS counter on the air."""
        options = aps_frame["options"]
        limit = MAX_APS_PAYLOAD - (APS_ENCRYPTION_OVERHEAD if options & APS_OPTION_ENCRYPTION else 0) \
            - (APS_FRAGMENT_OVERHEAD if options & APS_OPTION_FRAGMENT else 0)
        if len(payload) > limit:
            return {"status": "message_too_long", "sequence": 0}
        if self.air.network() is None:
            return {"status": "network_down", "sequence": 0}
        block = None
        if options & APS_OPTION_FRAGMENT:
            number, count = aps_frame["groupId"] & 0xFF, aps_frame["groupId"] >> 8
            if number == 0:
                self._next_seq = (self._next_seq + 1) & 0xFF
                self._tx_counters[self._next_seq] = self.air.next_aps_counter()
                while len(self._tx_counters) > 16:
                    self._tx_counters.pop(next(iter(self._tx_counters)))
                sequence = self._next_seq
            else:
                sequence = aps_frame["sequence"]
            if number == 0 and count < 2 or sequence not in self._tx_counters:
                return {"status": "invalid_value", "sequence": 0}
            block = (self._tx_counters[sequence], aps.fragment_header(number, count))
        else:
            self._next_seq = (self._next_seq + 1) & 0xFF
            sequence = self._next_seq
        aps_frame = dict(aps_frame, sequence=sequence)
        self.later(lambda: self._send(destination, aps_frame, tag, payload, block))
        return {"status": "ok", "sequence": sequence}

    def sendReply(self, sender: int, apsFrame: dict, messageContents: bytes) -> dict:
        """The host's acknowledgement of a received block (APS_OPTION_FRAGMENT). [I] The emulated stack has already
        acknowledged each block on the air (a window of one block), so nothing more is sent; other replies are
        not emulated."""
        return {"status": "ok" if apsFrame["options"] & APS_OPTION_FRAGMENT else "invalid_call"}

    def _send(self, destination: int, aps_frame: dict, tag: int, payload: bytes,
              block: tuple[int, bytes] | None = None) -> None:
        eui = self.air.eui_of(destination)
        status = "delivery_failed"
        if eui is not None:
            self._apply_keys()
            try:
                send = self.air.send_aps if block is None else \
                    partial(self.air.send_block, counter=block[0], extended=block[1])
                send(eui, aps_frame["clusterId"], payload, profile=aps_frame["profileId"],
                     src_ep=aps_frame["sourceEndpoint"], dst_ep=aps_frame["destinationEndpoint"],
                     aps_security=bool(aps_frame["options"] & APS_OPTION_ENCRYPTION), timeout=APS_ATTEMPT_WINDOW)
                status = "ok"
            except DeliveryFailed:
                pass
        self.emit("messageSentHandler", {"destination": destination, "aps_frame": aps_frame, "tag": tag,
                                         "status": status, "payload": b""})

    def sendRawMessage(self, message: bytes) -> dict:
        if len(message) < 3:
            return {"status": "invalid_value"}
        try:
            mac.decode(message)
        except InputError:
            return {"status": "invalid_value"}
        self.air.transmit_raw(message)
        return {"status": "ok"}

    # ---- helpers ------------------------------------------------------------------------------------------------
    def _to_host(self, profile: int, cluster: int, src_ep: int, dst_ep: int, src_short: int, src_eui: int,
                 payload: bytes, secured: bool, broadcast: bool, fragment: tuple[int, int] | None = None) -> None:
        """`fragment`: (APS counter, groupId) of one block of a fragmented message."""
        options = (APS_OPTION_ENCRYPTION if secured else 0) | (APS_OPTION_FRAGMENT if fragment else 0)
        self.emit("incomingMessageHandler", {
            "type": INCOMING_BROADCAST if broadcast else INCOMING_UNICAST,
            "aps_frame": {"profileId": profile, "clusterId": cluster, "sourceEndpoint": src_ep,
                          "destinationEndpoint": dst_ep, "options": options,
                          "groupId": fragment[1] if fragment else 0, "sequence": fragment[0] if fragment else 0},
            "sender": src_short, "eui64": src_eui, "payload": payload})

    def _zdo_request(self, message: ApsMessage) -> None:
        flags = self.config[CONFIG_APPLICATION_ZDO_FLAGS]
        if message.cluster in ZDO_ENDPOINT_REQUESTS and not flags & ZDO_APP_HANDLES_ENDPOINT:
            if message.cluster == zdo.MATCH_DESC_REQ:
                self._answer_match_desc(message)
            if flags & ZDO_APP_RECEIVES_SUPPORTED:
                self._to_host(0, message.cluster, 0, 0, message.src_short, message.src, message.payload, False,
                              message.broadcast)
            return
        if message.cluster in ZDO_ENDPOINT_REQUESTS or flags & ZDO_APP_HANDLES_UNSUPPORTED:
            self._to_host(0, message.cluster, 0, 0, message.src_short, message.src, message.payload, False,
                          message.broadcast)

    def _answer_match_desc(self, message: ApsMessage) -> None:
        try:
            req = zdo.MatchDescReq.decode(message.payload)
        except InputError:
            return
        wanted_in, wanted_out = set(req.in_clusters), set(req.out_clusters)
        matches = tuple(ep for ep, d in sorted(self.endpoints.items())
                        if d["profile"] == req.profile and (wanted_in & set(d["in"]) or wanted_out & set(d["out"])))
        net = self.air.network()
        rsp = zdo.MatchDescRsp(req.tsn, zdo.SUCCESS, net.short if net else 0, matches)
        self.later(lambda: self.air.send_aps(message.src, zdo.MATCH_DESC_RSP, rsp.encode(), profile=0, src_ep=0,
                                             dst_ep=0, aps_security=False, wait=False))

    def _filter_matches(self, value: int, frame: mac.MacFrame) -> bool:
        net = self.air.network()
        own_pan = net.pan_id if net else None
        pan_dest = value & 0x03
        if pan_dest == 0x01 and frame.dst_pan != own_pan or pan_dest == 0x02 and frame.dst_pan != mac.BROADCAST_PAN:
            return False
        pan_src = value & 0x0C
        if pan_src == 0x04 and frame.src_pan == own_pan or pan_src == 0x08 and frame.src_pan != own_pan:
            return False
        dest = value & 0x30
        if dest == 0x00 and not (frame.dst_mode == mac.ADDR_SHORT and frame.dst == mac.BROADCAST_SHORT):
            return False
        if dest == 0x10 and not (frame.dst_mode == mac.ADDR_SHORT and net is not None and frame.dst == net.short):
            return False
        if dest == 0x20 and not (frame.dst_mode == mac.ADDR_LONG and frame.dst == self.eui64):
            return False
        return frame.src_mode == mac.ADDR_LONG

    def _rx_info(self, fields: dict, frame: mac.MacFrame) -> dict:
        fields.update(lastHopLqi=255, lastHopRssi=-40, packetInfo={
            "sender_short_id": 0xFFFE, "sender_long_id": frame.src if frame.src_mode == mac.ADDR_LONG else 0,
            "binding_index": 0xFF, "address_index": 0xFF, "last_hop_lqi": 255, "last_hop_rssi": -40,
            "last_hop_timestamp": int(self.clock.now() * 1000) & 0xFFFFFFFF})
        return fields

    def _transient(self, eui: int) -> bytes | None:
        entry = self.transient.get(eui)
        if entry is None or entry[1] <= self.clock.now():
            self.transient.pop(eui, None)
            return None
        return entry[0]

    def _key_table_key(self, eui: int) -> bytes | None:
        for entry in self.tokens.key_table:
            if entry is not None and entry[0] == eui:
                return entry[1]
        return None

    def _store_key(self, eui: int, key: bytes) -> bool:
        table = self.tokens.key_table
        slots = [i for i, e in enumerate(table) if e is not None and e[0] == eui] or \
                [i for i, e in enumerate(table) if e is None]
        if not slots:
            return False
        table[slots[0]] = (eui, key)
        return True

    def _resize_key_table(self) -> None:
        size = self.config[CONFIG_KEY_TABLE_SIZE]
        table = self.tokens.key_table
        self.tokens.key_table = (table + [None] * size)[:size]

    def _apply_keys(self) -> None:
        """The link key the air side uses per partner: the key table, transient keys on a trust centre, and on a
        joiner the trust-centre link key for its trust centre (never its application table's entry)."""
        keys = {eui: key for eui, key in (e for e in self.tokens.key_table if e is not None)}
        for eui in list(self.transient):
            key = self._transient(eui)
            if key is not None:
                keys.setdefault(eui, key)
        t = self.tokens
        if t.node_type != NODE_COORDINATOR and t.tc_eui is not None and t.tc_link_key is not None:
            keys[t.tc_eui] = t.tc_link_key
        self.air.use_keys(keys)


def _params(net: NetworkInfo) -> dict:
    return {"extendedPanId": net.extended_pan_id, "panId": net.pan_id, "radioTxPower": 8, "radioChannel": net.channel,
            "joinMethod": 0, "nwkManagerId": 0, "nwkUpdateId": 0,
            "channels": (1 << net.channel) if net.channel else 0}


def _key_struct(key_type: int, key: bytes, partner: int) -> dict:
    return {"bitmask": 0x0008 if partner else 0, "type": key_type, "key": key, "outgoingFrameCounter": 0,
            "incomingFrameCounter": 0, "sequenceNumber": 0, "partnerEUI64": partner}


def _context(key_type: int, index: int, eui: int) -> dict:
    return {"core_key_type": key_type, "key_index": index, "derived_type": 0, "eui64": eui,
            "multi_network_index": 0, "flags": 0x03 if key_type else 0, "psa_key_alg_permission": 0}


def _metadata() -> dict:
    return {"bitmask": 0, "outgoing_frame_counter": 0, "incoming_frame_counter": 0, "ttl_in_seconds": 0}
