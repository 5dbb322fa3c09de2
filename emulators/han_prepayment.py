"""ZSE Prepayment traffic between a PPMID and an ESME over the HAN (BAD 7.3.2.5.5; SE 1.4 D.7): the PPMID's
Consumer Top Up and Select Available Emergency Credit to the meter, the meter's Consumer Top Up Response back.

The boards decide: a PPMID board's `han.send` event says what to send to its ESME; a meter's board takes the
command (`zse.top_up` / `zse.select_ec`) only from a sender in its own Device Log, and this half answers only what
the board processed: traffic from a peer the board does not list gets nothing back (scenario 32).
[I] The frames go with NWK security only: the ESME-PPMID CBKE that follows CS03A1 (BAD 7.2.1.6.12) is not
emulated, so the two hold no APS link key of their own. Amounts are the board's pennies.
"""
from __future__ import annotations

from typing import Callable

from harness.errors import InputError
from harness.zigbee import prepayment as zse
from rig.boardlink import BoardLink
from rig.radios.protocol import ApsMessage, DeliveryFailed, Message, Radio

ENDPOINT = 1
METERS = ("esme",)  # meters a PPMID reaches directly (a GSME's PCS01/PCS02 go through the GPF as GBCS)


class HanPrepayment:
    """One device's end: a meter (server: takes commands) or a PPMID (client: sends them, shows the answers)."""

    def __init__(self, link: BoardLink, radio: Radio, role: str, next_tsn: Callable[[], int]):
        self.link = link
        self.radio = radio
        self.role = role
        self.next_tsn = next_tsn

    def send(self, event: dict) -> None:
        """A PPMID board's `han.send` event: the ZSE command to its ESME (other meters are not carried here)."""
        if event.get("meter") not in METERS:
            self._log(f"han.send for the {event.get('meter')} is not carried over ZSE")
            return
        try:
            command = zse.CLIENT_COMMANDS[event["command"]].decode(bytes.fromhex(event["payload"]))
            self._aps(int(event["to"], 16), zse.frame(command, self.next_tsn()))
        except (KeyError, TypeError, ValueError, InputError) as exc:
            self._log(f"han.send event not understood: {exc}")

    def on_message(self, message: Message) -> bool:
        """Take a Prepayment cluster frame (True), whatever its sender; anything else is not ours (False)."""
        if not isinstance(message, ApsMessage) or message.cluster != zse.CLUSTER_ID:
            return False
        try:
            frame, command = zse.parse(message.payload)
        except InputError as exc:
            self._log(f"dropped a malformed Prepayment frame from {message.src:016X}: {exc}")
            return True
        sender = f"{message.src:016X}"
        if self.role == "ppmid" and isinstance(command, zse.ConsumerTopUpResponse):
            self.link.call("ppmid.result", meter="esme", result=int(command.result), value=command.value,
                           credit_remaining=command.credit_remaining)
        elif self.role in METERS and isinstance(command, zse.ConsumerTopUp):
            answer = self.link.request("zse.top_up", {"from": sender, "utrn": command.utrn})
            if answer.get("processed"):
                response = zse.ConsumerTopUpResponse(zse.ResultType(answer["result"]), answer["value"],
                                                     command.origin, answer["credit_remaining"])
                self._aps(message.src, zse.frame(response, frame.tsn), dst_ep=message.src_ep)
        elif self.role in METERS and isinstance(command, zse.SelectEmergencyCredit):
            self.link.request("zse.select_ec", {"from": sender})
        return True

    def _aps(self, eui: int, frame: bytes, dst_ep: int = ENDPOINT) -> None:
        try:
            self.radio.send_aps(eui, zse.CLUSTER_ID, frame, src_ep=ENDPOINT, dst_ep=dst_ep, aps_security=False,
                                wait=False)
        except DeliveryFailed as exc:
            self._log(f"Prepayment frame to {eui:016X} not sent: {exc}")

    def _log(self, text: str) -> None:
        self.link.call("log", text=text)
