"""One emulated NCP: ASH on one side, the EmberZNet behaviour model on the other, EZSP frames in between.

Version negotiation (UG100): the host's first `version` command names the version it wants; the NCP answers with
its own, and accepts other commands once a `version` command has named exactly its version. Responses use the
header layout of the command; callbacks, sent asynchronously as on a UART NCP, use the negotiated layout and the
sequence number of the host's latest command (bellows tells responses from callbacks by the sequence numbers of
its commands in flight). A frame the NCP does not know, or cannot parse, is answered with invalidCommand.

A host RST resets the NCP: RAM state (configuration, policies, endpoints, transient keys, filters) is lost,
tokens (network, keys, frame counters) are kept.
"""
from __future__ import annotations

from collections import deque
from typing import Callable

from emulators.medium.medium import Medium
from emulators.ncp import framing
from emulators.ncp.ash import AshNcp, Faults
from emulators.ncp.commands import NEWEST, SUPPORTED, Frame, by_id, table
from emulators.ncp.stack import EmberStack, Tokens
from emulators.ncp.wire import pack_fields, unpack_fields
from harness.errors import InputError

STACK_TYPE_MESH, STACK_VERSION = 0x02, 0x7440   # EmberZNet 7.4.4

# frames answered the same way whatever the state (no model state behind them)
FIXED_REPLIES = {
    "nop": {},
    "customFrame": {"status": "invalid_call", "reply": b""},       # no XNCP extensions
    "getLibraryStatus": {"status": 0xFF},                         # EMBER_LIBRARY_NOT_PRESENT: no CBKE library
    "getMfgToken": {"tokenData": b""},
    "setMfgToken": {"status": "invalid_call"},
    "setConcentrator": {"status": "ok"},
    "setManufacturerCode": {"status": "ok"},
    "setExtendedTimeout": {"status": "ok"},
}


class EmulatedNcp:
    """An emulated EmberZNet NCP speaking EZSP `version` (4-19) on `write`, its radio `name` on `medium`."""

    def __init__(self, medium: Medium, eui64: int, write: Callable[[bytes], None], *, version: int = NEWEST,
                 name: str | None = None, channel: int = 11, clock: Callable[[], float] | None = None,
                 faults: Faults | None = None):
        if version not in SUPPORTED:
            raise ValueError(f"EZSP version {version} is not emulated (supported: {SUPPORTED})")
        self.medium, self.eui64, self.version = medium, eui64, version
        self.name = name or f"ncp-{eui64:016X}"
        self.channel = channel
        self.tokens = Tokens()
        self.negotiated = False
        self._seq = 0
        self._later: deque[Callable[[], None]] = deque()
        self.commands: list[tuple[str, dict]] = []        # every command served (name, decoded request)
        self.callbacks_sent = 0
        self.stack = self._new_stack()
        options = {"clock": clock} if clock else {}
        self.ash = AshNcp(write, self._on_ezsp, on_reset=self._reset, faults=faults, **options)

    def _new_stack(self) -> EmberStack:
        return EmberStack(self.medium, self.eui64, self.name, self.version, self.tokens, self._emit,
                          self._later.append, self.channel)

    # ---- service (called by the owner's loop) ------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        self.ash.feed(data)

    def service(self) -> None:
        """ASH timers, then the work queued behind responses (joins, sends, scans: these move the medium)."""
        self.ash.poll()
        while self._later:
            self._later.popleft()()

    def idle(self) -> bool:
        return not self._later and self.ash.idle()

    def close(self) -> None:
        self.stack.close()

    # ---- EZSP ---------------------------------------------------------------------------------------------
    def _reset(self) -> None:
        self._later.clear()
        self.callbacks_sent = 0
        self.stack.close()
        self.negotiated = False
        self.stack = self._new_stack()

    def _on_ezsp(self, data: bytes) -> None:
        try:
            header, params = framing.decode(data)
        except InputError:
            return
        self._seq = header.sequence
        frame = by_id(self.version).get(header.frame_id)
        if frame is None:
            self._invalid(header, "invalid_frame_id")
            return
        try:
            request = unpack_fields(frame.request, params)
        except InputError:
            self._invalid(header, "invalid_value")
            return
        self.commands.append((frame.name, request))
        if frame.name == "version":
            self.negotiated = request["desiredProtocolVersion"] == self.version
            reply = {"protocolVersion": self.version, "stackType": STACK_TYPE_MESH, "stackVersion": STACK_VERSION}
        elif not self.negotiated:
            self._invalid(header, "version_not_set")
            return
        else:
            reply = self._dispatch(frame.name, request)
            if reply is None:
                self._invalid(header, "invalid_frame_id")
                return
        self._respond(header, frame, reply)

    def _dispatch(self, name: str, request: dict) -> dict | None:
        if name in FIXED_REPLIES:
            return FIXED_REPLIES[name]
        if name == "sendUnicast":
            v14 = self.version >= 14
            return self.stack.sendUnicast(request["nwk" if v14 else "indexOrDestination"],
                                          request["aps_frame" if v14 else "apsFrame"],
                                          request["message_tag" if v14 else "messageTag"],
                                          request["message" if v14 else "messageContents"])
        if name in ("sendRawMessage", "sendRawMessageExtended"):
            return self.stack.sendRawMessage(request.get("message", request.get("messageContents")))
        handler = getattr(self.stack, name, None)
        return None if handler is None else handler(**request)

    def _respond(self, header: framing.Header, frame: Frame, values: dict) -> None:
        self.ash.send(framing.encode(header.sequence, frame.id, header.layout) + pack_fields(frame.response, values))

    def _invalid(self, header: framing.Header, status: str) -> None:
        frame = table(self.version)["invalidCommand"]
        self._respond(header, frame, {"status": status})

    def _emit(self, name: str, fields: dict) -> None:
        """Send callback `name`; `fields` uses the model's names, mapped here to the version's."""
        frame = table(self.version)[name]
        values = self._callback_fields(name, fields)
        header = framing.encode(self._seq, frame.id, framing.layout_for(self.version), callback=True)
        self.ash.send(header + pack_fields(frame.response, values))
        self.callbacks_sent += 1

    def _callback_fields(self, name: str, f: dict) -> dict:
        if name == "messageSentHandler":
            if self.version >= 14:
                return {"status": f["status"], "message_type": 0, "nwk": f["destination"], "aps_frame": f["aps_frame"],
                        "message_tag": f["tag"], "message": f["payload"]}
            return {"type": 0, "indexOrDestination": f["destination"], "apsFrame": f["aps_frame"],
                    "messageTag": f["tag"] & 0xFF, "status": f["status"], "messageContents": f["payload"]}
        if name == "incomingMessageHandler":
            if self.version >= 14:
                return {"message_type": f["type"], "aps_frame": f["aps_frame"], "nwk": f["sender"],
                        "eui64": f["eui64"], "binding_index": 0xFF, "address_index": 0xFF, "lqi": 255, "rssi": -40,
                        "timestamp": 0, "message": f["payload"]}
            return {"type": f["type"], "apsFrame": f["aps_frame"], "lastHopLqi": 255, "lastHopRssi": -40,
                    "sender": f["sender"], "bindingIndex": 0xFF, "addressIndex": 0xFF, "messageContents": f["payload"]}
        return f
