"""An EZSP-level NCP double for bellows: a gateway that decodes each request with bellows' own command schemas,
records it, and answers like an EmberZNet NCP of a chosen protocol version (responses and callbacks)."""
from __future__ import annotations

import asyncio
from typing import Any, Callable

import bellows.types as t
from bellows.ezsp import EZSP

NCP_EUI = 0x000D6F0000ABCDEF


class FakeNcp:
    """Pass as `gateway=` (a factory called with bellows' EZSP object) to EzspRadio. `handlers[name](args) -> dict` overrides a response; `calls` records
    (name, args) of every request after version negotiation."""

    def __init__(self, ezsp_version: int = 13, emit: Callable[[bytes], None] | None = None):
        self.version = ezsp_version
        self.commands = EZSP._BY_VERSION[ezsp_version].COMMANDS
        self.by_id = {cmd_id: (name, tx, rx) for name, (cmd_id, tx, rx) in self.commands.items()}
        self.calls: list[tuple[str, dict]] = []
        self.handlers: dict[str, Callable[[dict], dict]] = {}
        self.after: dict[str, Callable[[dict], list[tuple[str, dict]]]] = {}
        self.api: Any = None
        self.legacy = True
        self.emit = emit   # where response/callback EZSP frames go

    def __call__(self, api: Any) -> "FakeNcp":
        """The gateway factory: bind to bellows' EZSP object."""
        self.api = api
        self.emit = lambda frame: asyncio.get_running_loop().call_soon(api.frame_received, frame)
        return self

    # bellows Gateway interface -------------------------------------------------------------------------
    async def reset(self) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    async def send_data(self, data: bytes) -> None:
        self.handle(data)

    def handle(self, data: bytes) -> None:
        """Answer one EZSP request frame (and send the callbacks registered in `after`)."""
        self.legacy = not (len(data) >= 5 and data[1:3] == b"\x00\x01")
        if self.legacy:
            seq, frame_id, payload = data[0], data[2], data[3:]
            name, tx, rx = self._legacy(frame_id)
        else:
            seq, frame_id, payload = data[0], int.from_bytes(data[3:5], "little"), data[5:]
            name, tx, rx = self.by_id[frame_id]
        args, rest = t.deserialize_dict(payload, tx)
        assert not rest, f"{name}: {len(rest)} trailing octets"
        if name != "version":
            self.calls.append((name, args))
        reply = self._reply(name, args)
        self._send(seq, frame_id, rx, reply, legacy=self.legacy)
        for cb_name, cb_args in self.after.get(name, lambda a: [])(args):
            self.callback(cb_name, cb_args)

    # helpers --------------------------------------------------------------------------------------------
    def _legacy(self, frame_id: int):
        for name, (cid, tx, rx) in EZSP._BY_VERSION[4].COMMANDS.items():
            if cid == frame_id:
                return name, tx, rx
        raise KeyError(frame_id)

    def _reply(self, name: str, args: dict) -> dict:
        if name in self.handlers:
            return self.handlers[name](args)
        if name == "version":
            return {"protocolVersion": self.version, "stackType": 2, "stackVersion": 0x7400}
        if name == "customFrame":
            return {"status": t.EmberStatus.ERR_FATAL, "reply": b""}
        if name == "getEui64":
            return {"eui64": t.EUI64.deserialize(NCP_EUI.to_bytes(8, "little"))[0]}
        if name == "getNodeId":
            return {"nodeId": 0x1234}
        if name == "sendUnicast":
            return dict(zip(self._rx_names(name), [t.EmberStatus.SUCCESS, 7]))
        if name == "lookupNodeIdByEui64":
            return {"nodeId": 0xFFFF}
        names = self._rx_names(name)
        return {names[0]: 0} if len(names) == 1 else {n: 0 for n in names}

    def _rx_names(self, name: str) -> list[str]:
        return list(self.commands[name][2])

    def _send(self, seq: int, frame_id: int, rx: dict, values: dict, legacy: bool) -> None:
        body = t.serialize_dict([], values, rx)
        head = bytes([seq, 0x80, frame_id]) if legacy else bytes([seq, 0x80, 0x01]) + frame_id.to_bytes(2, "little")
        self.emit(head + body)

    def callback(self, name: str, values: dict) -> None:
        """Send an unsolicited callback frame (from the loop thread)."""
        cmd_id, _, rx = self.commands[name]
        self._send(0xFF, cmd_id, rx, values, legacy=False)

    def last(self, name: str) -> dict:
        return [a for n, a in self.calls if n == name][-1]

    def names(self) -> list[str]:
        return [n for n, _ in self.calls]
