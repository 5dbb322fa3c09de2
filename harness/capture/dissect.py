"""Dissect a capture into packets: 802.15.4 MAC (beacons, MAC commands), NWK (decrypted with the network key),
APS (data, commands incl. Transport-Key, acks; decrypted with link, key-transport or key-load keys), the SE
inter-PAN stub frame (decrypted with inter-PAN keys), ZDO, ZCL and the SE commands the suites use (Key
Establishment, Tunneling TransferData).

Keys are those the rig knows (`KeyRing`): network keys, install-code and CBKE link keys, inter-PAN keys. A network
key carried in a Transport-Key that a known key opens is learnt on the way, so a capture of a real hub's HAN opens
with only the joiners' install codes. Each packet keeps the frame number of the pcap (1-based, as Wireshark
counts) and a flat field table named like Wireshark's filters (`wpan.src64`, `aps.cluster`, `ke.status`). A
frame that is malformed or that no known key opens is kept, with the reason in `problems`: what it shows stays
queryable and the check that needs the rest fails naming the frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from harness.capture.pcap import LINKTYPE_IEEE802_15_4_NOFCS, LINKTYPE_IEEE802_15_4_WITHFCS, read_pcap
from harness.errors import InputError
from harness.zigbee import aps, aps_commands, beacon as zbeacon, interpan, mac, nwk, security, zcl, zdo
from harness.zigbee.reader import Reader
from harness.zse import certificate as cert_mod
from harness.zse import ke_frames as kf

ZDO_DEVICE_ANNOUNCE = 0x0013
TUNNELING_CLUSTER = 0x0704
TRANSFER_DATA_CLIENT, TRANSFER_DATA_SERVER = 0x01, 0x02  # server->client, client->server (SE Tunneling)

MAC_COMMANDS = {mac.CMD_ASSOCIATION_REQUEST: "association_request", mac.CMD_ASSOCIATION_RESPONSE:
                "association_response", mac.CMD_DISASSOCIATION: "disassociation", mac.CMD_DATA_REQUEST:
                "data_request", mac.CMD_BEACON_REQUEST: "beacon_request"}
NWK_COMMANDS = {nwk.CMD_LEAVE: "leave", nwk.CMD_ROUTE_REQUEST: "route_request", nwk.CMD_ROUTE_REPLY: "route_reply",
                nwk.CMD_NETWORK_STATUS: "network_status", nwk.CMD_REJOIN_REQUEST: "rejoin_request",
                nwk.CMD_REJOIN_RESPONSE: "rejoin_response"}
APS_COMMANDS = {aps_commands.TRANSPORT_KEY: "transport_key", aps_commands.UPDATE_DEVICE: "update_device",
                aps_commands.REMOVE_DEVICE: "remove_device", aps_commands.REQUEST_KEY: "request_key",
                aps_commands.SWITCH_KEY: "switch_key", aps_commands.VERIFY_KEY: "verify_key",
                aps_commands.CONFIRM_KEY: "confirm_key"}
KE_COMMANDS = {(False, kf.CMD_INITIATE): "initiate_ke_request", (True, kf.CMD_INITIATE): "initiate_ke_response",
               (False, kf.CMD_EPHEMERAL): "ephemeral_data_request", (True, kf.CMD_EPHEMERAL): "ephemeral_data_response",
               (False, kf.CMD_CONFIRM): "confirm_key_request", (True, kf.CMD_CONFIRM): "confirm_key_response",
               (False, kf.CMD_TERMINATE): "terminate_ke", (True, kf.CMD_TERMINATE): "terminate_ke"}
ZCL_GLOBAL = {zcl.READ_ATTRIBUTES: "read_attributes", zcl.READ_ATTRIBUTES_RESPONSE: "read_attributes_response",
              0x0B: "default_response"}
ZDO_COMMANDS = {zdo.MATCH_DESC_REQ: "match_desc_req", zdo.MATCH_DESC_RSP: "match_desc_rsp",
                ZDO_DEVICE_ANNOUNCE: "device_announce"}


def eui_text(eui: int | None) -> str:
    return "-" if eui is None else f"{eui:016X}"


class KeyRing:
    """The keys a capture is opened with: network keys, APS link keys, inter-PAN keys, each with a label."""

    def __init__(self, network: Iterable[tuple[bytes, str]] = (), link: Iterable[tuple[bytes, str]] = (),
                 interpan_keys: Iterable[tuple[bytes, str]] = ()):
        self.network: dict[bytes, str] = {}
        self.link: dict[bytes, str] = {}
        self.interpan: dict[bytes, str] = {}
        for key, label in network:
            self.add_network(key, label)
        for key, label in link:
            self.add_link(key, label)
        for key, label in interpan_keys:
            self.add_interpan(key, label)

    @classmethod
    def from_labels(cls, keys: dict[bytes, str]) -> "KeyRing":
        """Sort labelled keys (the capture's keys file) by their label: 'network key', 'inter-PAN ...', or link."""
        ring = cls()
        for key, label in keys.items():
            if label.startswith("network key"):
                ring.add_network(key, label)
            elif label.startswith("inter-PAN"):
                ring.add_interpan(key, label)
            else:
                ring.add_link(key, label)
        return ring

    def add_network(self, key: bytes, label: str) -> None:
        self.network.setdefault(bytes(key), label)

    def add_link(self, key: bytes, label: str) -> None:
        self.link.setdefault(bytes(key), label)

    def add_interpan(self, key: bytes, label: str) -> None:
        self.interpan.setdefault(bytes(key), label)


@dataclass
class Packet:
    """One captured frame: its number in the pcap (1-based), time, the layers decoded and their fields."""

    number: int
    time: float
    raw: bytes
    layers: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def has(self, layer: str) -> bool:
        return layer in self.layers

    @property
    def command(self) -> str | None:
        """The innermost command decoded (e.g. 'association_response', 'transport_key', 'terminate_ke')."""
        return self.fields.get("command")

    @property
    def cluster(self) -> int | None:
        return self.fields.get("aps.cluster", self.fields.get("interpan.cluster"))

    @property
    def src64(self) -> int | None:
        return self.fields.get("src64")

    @property
    def dst64(self) -> int | None:
        return self.fields.get("dst64")

    def summary(self) -> str:
        """One line: number, time, source -> destination, the innermost layer and command, problems."""
        src = self.fields.get("src64") or self.fields.get("nwk.src", self.fields.get("wpan.src16"))
        dst = self.fields.get("dst64") or self.fields.get("nwk.dst", self.fields.get("wpan.dst16"))
        what = self.command or (self.layers[-1] if self.layers else "?")
        cluster = f" cluster 0x{self.cluster:04X}" if self.cluster is not None else ""
        status = self.fields.get("ke.status", self.fields.get("wpan.assoc_status"))
        status = f" status {status}" if status is not None else ""
        trouble = f" [{'; '.join(self.problems)}]" if self.problems else ""
        return f"#{self.number} t={self.time:.3f} {_addr(src)} -> {_addr(dst)} {'/'.join(self.layers)} " \
               f"{what}{cluster}{status}{trouble}"


def _addr(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:016X}" if value > 0xFFFF else f"0x{value:04X}"


def dissect_file(path: str | Path, keys: KeyRing) -> list[Packet]:
    """Every frame of the pcap at `path`, dissected with `keys` (network keys learnt on the way are added)."""
    linktype, records = read_pcap(path)
    if linktype not in (LINKTYPE_IEEE802_15_4_WITHFCS, LINKTYPE_IEEE802_15_4_NOFCS):
        raise InputError(f"pcap link type {linktype} is not IEEE 802.15.4", field="linktype")
    return Dissector(keys).run(records, with_fcs=linktype == LINKTYPE_IEEE802_15_4_WITHFCS)


class Dissector:
    """Decodes frames in order, learning short-address <-> EUI-64 pairs and network keys as it goes."""

    def __init__(self, keys: KeyRing):
        self.keys = keys
        self.eui_of: dict[int, int] = {}       # short address -> EUI-64

    def run(self, records: list[tuple[float, bytes]], *, with_fcs: bool) -> list[Packet]:
        packets = []
        for number, (time, data) in enumerate(records, start=1):
            packet = Packet(number, time, data)
            try:
                self._mac(packet, data, with_fcs)
            except InputError as exc:
                packet.problems.append(f"malformed: {exc}")
                packet.layers.append("malformed")
            packets.append(packet)
        for packet in packets:   # addresses learnt later in the capture resolve earlier frames too
            self._resolve(packet)
        return packets

    # -- MAC ----------------------------------------------------------------------------------------------------
    def _mac(self, p: Packet, data: bytes, with_fcs: bool) -> None:
        frame = mac.decode_with_fcs(data) if with_fcs else mac.decode(data)
        f = p.fields
        p.layers.append("wpan")
        f.update({"wpan.frame_type": ("beacon", "data", "ack", "command")[frame.frame_type], "wpan.seq": frame.seq,
                  "wpan.src_pan": frame.src_pan, "wpan.dst_pan": frame.dst_pan,
                  "wpan.ack_request": frame.ack_request})
        for side, mode, value in (("src", frame.src_mode, frame.src), ("dst", frame.dst_mode, frame.dst)):
            if mode == mac.ADDR_SHORT:
                f[f"wpan.{side}16"] = value
            elif mode == mac.ADDR_LONG:
                f[f"wpan.{side}64"] = value
        base = len(data) - (2 if with_fcs else 0) - len(frame.payload)
        if frame.frame_type == mac.BEACON:
            sf = mac.decode_beacon(frame.payload, base)
            p.layers.append("beacon")
            f.update({"command": "beacon", "beacon.association_permit": sf.association_permit})
            zb = zbeacon.decode(sf.payload, base + 4)
            f.update({"beacon.ext_panid": zb.extended_pan_id, "beacon.router_capacity": zb.router_capacity,
                      "beacon.end_device_capacity": zb.end_device_capacity})
        elif frame.frame_type == mac.COMMAND:
            self._mac_command(p, frame, base)
        elif frame.frame_type == mac.DATA:
            if interpan.is_interpan(frame.payload):
                self._interpan(p, frame, base)
            else:
                self._nwk(p, frame.payload, base)
        else:
            f["command"] = "ack"

    def _mac_command(self, p: Packet, frame: mac.MacFrame, base: int) -> None:
        cmd = mac.decode_command(frame.payload, base)
        f = p.fields
        p.layers.append("wpan_cmd")
        f.update({"wpan.cmd": cmd.command, "command": MAC_COMMANDS.get(cmd.command, f"mac_0x{cmd.command:02x}")})
        if cmd.command == mac.CMD_ASSOCIATION_REQUEST:
            f["wpan.capability"] = mac.parse_association_request(cmd)
        elif cmd.command == mac.CMD_ASSOCIATION_RESPONSE:
            short, status = mac.parse_association_response(cmd)
            f.update({"wpan.assoc_short": short, "wpan.assoc_status": status})
            if status == mac.ASSOC_SUCCESS and frame.dst_mode == mac.ADDR_LONG:
                self.eui_of[short] = frame.dst

    # -- NWK / APS ----------------------------------------------------------------------------------------------
    def _nwk(self, p: Packet, data: bytes, base: int) -> None:
        head = nwk.decode(data, base)
        f = p.fields
        p.layers.append("nwk")
        f.update({"nwk.src": head.src, "nwk.dst": head.dst, "nwk.secured": head.security, "nwk.seq": head.seq})
        if head.src_ieee is not None:
            f["nwk.src64"] = head.src_ieee
            self.eui_of[head.src] = head.src_ieee
        frame = head
        if head.security:
            opened = self._open_nwk(p, data, base)
            if opened is None:
                return
            frame = opened
        if frame.frame_type == nwk.COMMAND:
            cmd = nwk.decode_command(frame.payload, base)
            p.layers.append("nwk_cmd")
            f.update({"nwk.cmd": cmd.command, "command": NWK_COMMANDS.get(cmd.command, f"nwk_0x{cmd.command:02x}")})
            if cmd.command == nwk.CMD_LEAVE and cmd.payload:
                f.update({"nwk.leave_request": bool(cmd.payload[0] & nwk.LEAVE_REQUEST),
                          "nwk.leave_rejoin": bool(cmd.payload[0] & nwk.LEAVE_REJOIN)})
            return
        self._aps(p, frame.payload, base + len(frame.header))

    def _open_nwk(self, p: Packet, data: bytes, base: int) -> nwk.NwkFrame | None:
        for key, label in list(self.keys.network.items()):
            try:
                opened, aux = security.open_nwk(data, lambda _seq: key, base)
            except InputError:
                continue
            p.fields["nwk.key"] = label
            if aux.source:
                src = int.from_bytes(aux.source, "little")
                p.fields["nwk.src64"] = src
                self.eui_of[opened.src] = src
            p.fields["nwk.frame_counter"] = aux.frame_counter
            return opened
        p.problems.append("NWK: no known network key opens it")
        return None

    def _aps(self, p: Packet, data: bytes, base: int) -> None:
        frame = aps.decode(data, base)
        f = p.fields
        p.layers.append("aps")
        f.update({"aps.type": ("data", "command", "ack")[frame.frame_type], "aps.counter": frame.counter,
                  "aps.secured": frame.security, "aps.ack_request": frame.ack_request})
        if frame.cluster is not None:
            f.update({"aps.cluster": frame.cluster, "aps.profile": frame.profile, "aps.src_ep": frame.src_ep,
                      "aps.dst_ep": frame.dst_ep})
        if frame.security:
            frame = self._open_aps(p, data, base)
            if frame is None:
                return
        if frame.frame_type == aps.ACK:
            p.layers.append("aps_ack")
            f["command"] = "aps_ack"
        elif frame.frame_type == aps.COMMAND:
            self._aps_command(p, frame.payload, base)
        elif frame.profile == zdo.PROFILE_ZDO:
            p.layers.append("zdo")
            f["command"] = ZDO_COMMANDS.get(frame.cluster, f"zdo_0x{frame.cluster:04x}")
            if frame.cluster == ZDO_DEVICE_ANNOUNCE and len(frame.payload) >= 11:
                r = Reader(frame.payload, "ZDO Device_annce")
                r.u8("tsn")
                short, eui = r.u16("nwk_addr"), r.eui64("ieee_addr")
                f.update({"zdo.nwk_addr": short, "zdo.ieee_addr": eui})
                self.eui_of[short] = eui
        else:
            self._zcl(p, frame.cluster, frame.payload, base)

    def _open_aps(self, p: Packet, data: bytes, base: int) -> aps.ApsFrame | None:
        frame, aux = security.aps_aux(data, base)
        src = int.from_bytes(aux.source, "little") if aux.source else None
        p.fields.update({"aps.key_id": aux.key_id, "aps.frame_counter": aux.frame_counter})
        if src is not None:
            p.fields["aps.src64"] = src
        for key, label in list(self.keys.link.items()):
            try:
                opened, _ = security.open_aps(data, key, src, base)
            except InputError:
                continue
            p.fields.update({"aps.key": label, "aps.key_value": key})
            return opened
        p.problems.append(f"APS: no known link key opens it (key id {aux.key_id})")
        return None

    def _aps_command(self, p: Packet, data: bytes, base: int) -> None:
        f = p.fields
        p.layers.append("aps_cmd")
        f["aps.cmd"] = data[0] if data else None
        cmd = aps_commands.decode(data, base)
        f["command"] = APS_COMMANDS.get(data[0], f"aps_0x{data[0]:02x}")
        if isinstance(cmd, aps_commands.TransportKey):
            f.update({"tk.key_type": cmd.key_type, "tk.key": cmd.key, "tk.dst64": cmd.dst, "tk.src64": cmd.src,
                      "tk.seq": cmd.seq})
            if cmd.key_type == aps_commands.KEY_NETWORK:
                self.keys.add_network(cmd.key, f"network key (from Transport-Key in frame #{p.number})")
        elif isinstance(cmd, aps_commands.RemoveDevice):
            f["aps.target64"] = cmd.target
        elif isinstance(cmd, aps_commands.UpdateDevice):
            f.update({"aps.device64": cmd.device, "aps.device_short": cmd.short, "aps.device_status": cmd.status})

    # -- inter-PAN ----------------------------------------------------------------------------------------------
    def _interpan(self, p: Packet, frame: mac.MacFrame, base: int) -> None:
        ip = interpan.decode(frame.payload, base)
        f = p.fields
        p.layers.append("interpan")
        f.update({"interpan.cluster": ip.cluster, "interpan.profile": ip.profile, "interpan.secured": ip.security})
        if ip.security:
            if frame.src_mode != mac.ADDR_LONG:
                p.problems.append("inter-PAN: secured frame without a long source address")
                return
            for key, label in [*self.keys.interpan.items(), *self.keys.link.items()]:
                try:
                    ip = security.open_interpan(frame.payload, key, frame.src)
                except InputError:
                    continue
                f.update({"interpan.key": label, "interpan.key_value": key})
                break
            else:
                p.problems.append("inter-PAN: no known key opens it")
                return
        self._zcl(p, ip.cluster, ip.payload, base + len(ip.header))

    # -- ZCL and SE commands ------------------------------------------------------------------------------------
    def _zcl(self, p: Packet, cluster: int, data: bytes, base: int) -> None:
        frame = zcl.decode(data, base)
        f = p.fields
        p.layers.append("zcl")
        f.update({"zcl.cluster": cluster, "zcl.frame_type": frame.frame_type, "zcl.direction": frame.direction,
                  "zcl.tsn": frame.tsn, "zcl.cmd": frame.command, "zcl.payload": frame.payload})
        if frame.frame_type == zcl.GLOBAL:
            f["command"] = ZCL_GLOBAL.get(frame.command, f"zcl_0x{frame.command:02x}")
            return
        f["command"] = f"zcl_0x{frame.command:02x}"
        if cluster == kf.CLUSTER_ID:
            self._ke(p, data)
        elif cluster == TUNNELING_CLUSTER and frame.command in (TRANSFER_DATA_CLIENT, TRANSFER_DATA_SERVER):
            r = Reader(frame.payload, "Tunneling TransferData", base + 3)
            p.layers.append("tunnel")
            f.update({"command": "transfer_data", "tunnel.id": r.u16("tunnel_id"), "tunnel.data": r.rest()})

    def _ke(self, p: Packet, data: bytes) -> None:
        frame = kf.decode(data)
        f = p.fields
        p.layers.append("ke")
        command = frame.command
        f.update({"ke.from_server": frame.from_server, "ke.cmd": command.command,
                  "command": KE_COMMANDS[(frame.from_server, command.command)]})
        if isinstance(command, kf.Terminate):
            f.update({"ke.status": command.status, "ke.suites": command.suites})
        elif isinstance(command, kf.Initiate):
            f["ke.suite"] = command.suite
            try:
                cert = cert_mod.decode(command.certificate)
                f.update({"ke.issuer": cert.issuer, "ke.subject": cert.subject})
            except (InputError, ValueError) as exc:
                p.problems.append(f"KE: certificate does not decode: {exc}")

    # -- addresses ----------------------------------------------------------------------------------------------
    def _resolve(self, p: Packet) -> None:
        """`src64`/`dst64`: the EUI-64 of each end, from the frame itself or the pairs learnt in the capture."""
        f = p.fields
        src = f.get("nwk.src64", f.get("aps.src64", f.get("wpan.src64")))
        if src is None and "nwk.src" in f:
            src = self.eui_of.get(f["nwk.src"])
        if src is None and "wpan.src16" in f:
            src = self.eui_of.get(f["wpan.src16"])
        dst = f.get("wpan.dst64")
        if dst is None and "nwk.dst" in f:
            dst = self.eui_of.get(f["nwk.dst"])
        if dst is None and f.get("wpan.dst16") not in (None, mac.BROADCAST_SHORT):
            dst = self.eui_of.get(f["wpan.dst16"])
        if src is not None:
            f["src64"] = src
        if dst is not None:
            f["dst64"] = dst


def eui_int(value: int | bytes) -> int:
    """An EUI-64 given as an int or as 8 octets big-endian (as the rig's identities hold them)."""
    if isinstance(value, (bytes, bytearray)):
        if len(value) != 8:
            raise ValueError("an EUI-64 is 8 octets")
        return int.from_bytes(value, "big")
    return int(value)

