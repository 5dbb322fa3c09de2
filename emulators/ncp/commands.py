"""The EZSP frames the emulated NCP understands, per protocol version (UG100 frame tables; v14+ from the
EmberZNet 8 `sl_status` API, where most statuses widened to 32 bits and several frames were reordered).

`table(version)` resolves the frames for one version: name -> Frame(id, request fields, response fields). Status
fields are symbolic here ("ok", "network_up", ...) and become EmberStatus/EzspStatus octets or 32-bit sl_status
values on the wire according to the version.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from harness.errors import InputError
from emulators.ncp.wire import (Codec, Counted, Fields, aps_frame, aps_key_metadata, boolean, current_security_state,
                                eui64, i8, initial_security_state, key, key_struct, lv, network_key_info,
                                network_parameters, rx_packet_info, sec_man_context, u8, u16, u32, zigbee_network)

NEWEST = 19
SUPPORTED = tuple(range(4, 15)) + (16, 17, 18, 19)   # v15 was never released

# symbolic status -> (EmberStatus, EzspStatus, sl_status)
STATUS = {
    "ok": (0x00, 0x00, 0x0000),
    "fail": (0x01, 0x10, 0x0001),
    "invalid_call": (0x70, 0x38, 0x0002),
    "invalid_value": (0x02, 0x36, 0x0021),
    "invalid_id": (0x02, 0x37, 0x0021),
    "invalid_frame_id": (0x02, 0x31, 0x0048),
    "version_not_set": (0x02, 0x30, 0x0002),
    "network_up": (0x90, 0x00, 0x0015),
    "network_down": (0x91, 0x00, 0x0016),
    "not_joined": (0x93, 0x00, 0x0017),
    "join_failed": (0x94, 0x00, 0x0017),
    "no_beacons": (0xAB, 0x00, 0x0018),
    "delivery_failed": (0x66, 0x00, 0x0C02),
    "not_found": (0x03, 0x00, 0x002D),
    "table_full": (0xB4, 0x00, 0x001C),
    "index_out_of_range": (0xB1, 0x00, 0x0027),
    "table_entry_erased": (0xB6, 0x00, 0x002D),
    "message_too_long": (0x74, 0x00, 0x0038),
}


class Status(Codec):
    """A status field: `kind` 0 = EmberStatus (u8), 1 = EzspStatus (u8), 2 = sl_status (u32)."""

    def __init__(self, kind: int):
        self.kind = kind
        self._int = u32 if kind == 2 else u8
        self._names = {codes[kind]: name for name, codes in reversed(list(STATUS.items()))}

    def pack(self, value: Any) -> bytes:
        return self._int.pack(STATUS[value][self.kind] if isinstance(value, str) else value)

    def unpack(self, data: bytes, offset: int) -> tuple[Any, int]:
        raw, offset = self._int.unpack(data, offset)
        return self._names.get(raw, raw), offset


@dataclass(frozen=True)
class Frame:
    name: str
    id: int
    request: Fields
    response: Fields


@lru_cache(maxsize=None)
def table(version: int) -> dict[str, Frame]:
    if version not in SUPPORTED:
        raise InputError(f"EZSP version {version} is not emulated", field="version")
    new = version >= 14
    st = Status(2) if new else Status(0)          # EmberStatus -> sl_status at v14
    ezst = Status(2) if new else Status(1)        # EzspStatus -> sl_status at v14
    sl = Status(2)
    none: Fields = ()
    f: list[tuple[str, int, Fields, Fields]] = [
        ("version", 0x00, (("desiredProtocolVersion", u8),),
         (("protocolVersion", u8), ("stackType", u8), ("stackVersion", u16))),
        ("getLibraryStatus", 0x01, (("libraryId", u8),), (("status", u8),)),
        ("addEndpoint", 0x02, (("endpoint", u8), ("profileId", u16), ("deviceId", u16), ("deviceVersion", u8),
                               ("inputClusterCount", u8), ("outputClusterCount", u8),
                               ("inputClusterList", Counted("inputClusterCount")),
                               ("outputClusterList", Counted("outputClusterCount"))), (("status", ezst),)),
        ("nop", 0x05, none, none),
        ("getMfgToken", 0x0B, (("tokenId", u8),), (("tokenData", lv),)),
        ("setMfgToken", 0x0C, (("tokenId", u8), ("tokenData", lv)), (("status", st),)),
        ("setConcentrator", 0x10, (("on", boolean), ("concentratorType", u16), ("minTime", u16), ("maxTime", u16),
                                   ("routeErrorThreshold", u8), ("deliveryFailureThreshold", u8), ("maxHops", u8)),
         (("status", st),)),
        ("setManufacturerCode", 0x15, (("code", u16),), (("status", sl),) if new else none),
        ("networkInit", 0x17, (("networkInitBitmask", u16),) if version >= 6 else none, (("status", st),)),
        ("networkState", 0x18, none, (("status", u8),)),
        ("stackStatusHandler", 0x19, none, (("status", st),)),
        ("startScan", 0x1A, (("scanType", u8), ("channelMask", u32), ("duration", u8)), (("status", st),)),
        ("networkFoundHandler", 0x1B, none, (("networkFound", zigbee_network), ("lastHopLqi", u8),
                                             ("lastHopRssi", i8))),
        ("scanCompleteHandler", 0x1C, none, (("channel", u8), ("status", st))),
        ("formNetwork", 0x1E, (("parameters", network_parameters),), (("status", st),)),
        ("joinNetwork", 0x1F, (("nodeType", u8), ("parameters", network_parameters)), (("status", st),)),
        ("leaveNetwork", 0x20, (("options", u8),) if new else none, (("status", st),)),
        ("permitJoining", 0x22, (("duration", u8),), (("status", st),)),
        ("trustCenterJoinHandler", 0x24, none, (("newNodeId", u16), ("newNodeEui64", eui64), ("status", u8),
                                                ("policyDecision", u8), ("parentOfNewNodeId", u16))),
        ("getEui64", 0x26, none, (("eui64", eui64),)),
        ("getNodeId", 0x27, none, (("nodeId", u16),)),
        ("getNetworkParameters", 0x28, none, (("status", st), ("nodeType", u8),
                                              ("parameters", network_parameters))),
        ("maximumPayloadLength", 0x33, none, (("apsLength", u8),)),
        ("sendReply", 0x39, (("sender", u16), ("apsFrame", aps_frame), ("messageContents", lv)), (("status", st),)),
        ("customFrame", 0x47, (("payload", lv),), (("status", st), ("reply", lv))),
        ("setPolicy", 0x55, (("policyId", u8), ("decisionId", u8)), (("status", ezst),)),
        ("setConfigurationValue", 0x53, (("configId", u8), ("value", u16)), (("status", ezst),)),
        ("getConfigurationValue", 0x52, (("configId", u8),), (("status", ezst), ("value", u16))),
        ("invalidCommand", 0x58, none, (("status", ezst),)),
        ("lookupNodeIdByEui64", 0x60, (("eui64", eui64),),
         (("status", sl), ("nodeId", u16)) if new else (("nodeId", u16),)),
        ("lookupEui64ByNodeId", 0x61, (("nodeId", u16),), (("status", st), ("eui64", eui64))),
        ("setInitialSecurityState", 0x68, (("state", initial_security_state),), (("status", st),)),
        ("getCurrentSecurityState", 0x69, none, (("status", st), ("state", current_security_state))),
        ("clearTransientLinkKeys", 0x6B, none, none),
        ("findKeyTableEntry", 0x75, (("address", eui64), ("linkKey", boolean)), (("index", u8),)),
        ("eraseKeyTableEntry", 0x76, (("index", u8),), (("status", st),)),
        ("setExtendedTimeout", 0x7E, (("remoteEui64", eui64), ("extendedTimeout", boolean)),
         (("status", sl),) if new else none),
        ("setRadioChannel", 0x9A, (("channel", u8),), (("status", st),)),
        ("removeDevice", 0xA8, (("destShort", u16), ("destLong", eui64), ("targetLong", eui64)), (("status", st),)),
        ("getValue", 0xAA, (("valueId", u8),), (("status", ezst), ("value", lv))),
        ("setValue", 0xAB, (("valueId", u8), ("value", lv)), (("status", ezst),)),
        ("clearKeyTable", 0xB1, none, (("status", st),)),
        # mfglib (UG100 "Mfglib Frames"): packet-capture receive mode; statuses sl_status from v14 like the rest
        ("mfglibStart", 0x83, (("rxCallback", boolean),), (("status", st),)),
        ("mfglibEnd", 0x84, none, (("status", st),)),
        ("mfglibSetChannel", 0x8A, (("channel", u8),), (("status", st),)),
        ("mfglibGetChannel", 0x8B, none, (("channel", u8),)),
        ("mfglibRxHandler", 0x8E, none, (("linkQuality", u8), ("rssi", i8), ("packetContents", lv))),
    ]
    if version < 14:
        f += [
            ("sendUnicast", 0x34, (("type", u8), ("indexOrDestination", u16), ("apsFrame", aps_frame),
                                   ("messageTag", u8), ("messageContents", lv)), (("status", st), ("sequence", u8))),
            ("messageSentHandler", 0x3F, none, (("type", u8), ("indexOrDestination", u16), ("apsFrame", aps_frame),
                                                ("messageTag", u8), ("status", st), ("messageContents", lv))),
            ("incomingMessageHandler", 0x45, none, (("type", u8), ("apsFrame", aps_frame), ("lastHopLqi", u8),
                                                    ("lastHopRssi", i8), ("sender", u16), ("bindingIndex", u8),
                                                    ("addressIndex", u8), ("messageContents", lv))),
            ("macFilterMatchMessageHandler", 0x46, none, (("filterIndexMatch", u8), ("legacyPassthroughType", u8),
                                                          ("lastHopLqi", u8), ("lastHopRssi", i8),
                                                          ("messageContents", lv))),
            ("macPassthroughMessageHandler", 0x97, none, (("messageType", u8), ("lastHopLqi", u8),
                                                          ("lastHopRssi", i8), ("messageContents", lv))),
            ("sendRawMessage", 0x96, (("messageContents", lv),), (("status", st),)),
        ]
    else:
        f += [
            ("sendUnicast", 0x34, (("message_type", u8), ("nwk", u16), ("aps_frame", aps_frame),
                                   ("message_tag", u16), ("message", lv)), (("status", sl), ("sequence", u8))),
            ("messageSentHandler", 0x3F, none, (("status", sl), ("message_type", u8), ("nwk", u16),
                                                ("aps_frame", aps_frame), ("message_tag", u16), ("message", lv))),
            ("incomingMessageHandler", 0x45, none, (("message_type", u8), ("aps_frame", aps_frame), ("nwk", u16),
                                                    ("eui64", eui64), ("binding_index", u8), ("address_index", u8),
                                                    ("lqi", u8), ("rssi", i8), ("timestamp", u32), ("message", lv))),
            ("macFilterMatchMessageHandler", 0x46, none,
             ((("filterValueMatch", u16) if version >= 18 else ("filterIndexMatch", u8)),
              ("legacyPassthroughType", u8), ("packetInfo", rx_packet_info), ("messageContents", lv))),
            ("macPassthroughMessageHandler", 0x97, none, (("messageType", u8), ("packetInfo", rx_packet_info),
                                                          ("messageContents", lv))),
        ]
    if version >= 8:
        f.append(("sendRawMessageExtended", 0x51, (("message", lv), ("priority", u8), ("useCca", boolean)),
                  (("status", st),)))
    if 5 <= version < 13:
        f.append(("addTransientLinkKey", 0xAF, (("partner", eui64), ("transientKey", key)), (("status", st),)))
    if version < 13:
        f += [
            ("addOrUpdateKeyTableEntry", 0x66, (("address", eui64), ("linkKey", boolean), ("keyData", key)),
             (("status", st),)),
            ("getKey", 0x6A, (("keyType", u8),), (("status", st), ("keyStruct", key_struct))),
            ("getKeyTableEntry", 0x71, (("index", u8),), (("status", st), ("keyStruct", key_struct))),
        ]
    else:
        f += [
            ("importTransientKey", 0x111, (("eui64", eui64), ("plaintext_key", key), ("flags", u8)),
             (("status", sl),)),
            ("importLinkKey", 0x10E, (("index", u8), ("address", eui64), ("key", key)), (("status", sl),)),
            ("getNetworkKeyInfo", 0x116, none, (("status", sl), ("network_key_info", network_key_info))),
        ]
        if new:
            f += [
                ("exportLinkKeyByEui", 0x10D, (("eui64", eui64),),
                 (("status", sl), ("context", sec_man_context), ("plaintext_key", key),
                  ("key_data", aps_key_metadata))),
                ("exportKey", 0x114, (("context", sec_man_context),),
                 (("status", sl), ("key", key), ("context", sec_man_context))),
                ("importKey", 0x115, (("context", sec_man_context), ("key", key)),
                 (("status", sl), ("context", sec_man_context))),
            ]
        else:
            f += [
                ("exportLinkKeyByEui", 0x10D, (("eui64", eui64),),
                 (("plaintext_key", key), ("index", u8), ("key_data", aps_key_metadata), ("status", sl))),
                ("exportKey", 0x114, (("context", sec_man_context),), (("key", key), ("status", sl))),
                ("importKey", 0x115, (("context", sec_man_context), ("key", key)), (("status", sl),)),
            ]
    return {name: Frame(name, fid, req, rsp) for name, fid, req, rsp in f}


@lru_cache(maxsize=None)
def by_id(version: int) -> dict[int, Frame]:
    return {frame.id: frame for frame in table(version).values()}
