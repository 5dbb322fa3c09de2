"""An ESME switching its HCALCS over the HAN (BAD 7.5.5.5.2: "switches ... HCALCS (HAN command)"): ZCL On/Off cluster
commands On / Off from the ESME to the HCALCS (`harness.zigbee.onoff`, where the choice of cluster is noted [I]).

The boards decide: an ESME board's `han.send` event for an HCALCS says what to send; the HCALCS's board takes every
command and obeys only a sender in its own Device Log (`hcalcs.switch`), so this half forwards whatever arrives.
[I] The frames go with NWK security only, as the ESME-PPMID prepayment traffic (emulators/han_prepayment.py).
"""
from __future__ import annotations

from typing import Callable

from harness.errors import InputError
from harness.zigbee import onoff, zdo
from rig.boardlink import BoardLink
from rig.radios.protocol import ApsMessage, DeliveryFailed, Message, Radio

ENDPOINT = 1


class HanSwitching:
    """One device's end: the ESME (client: sends On/Off) or the HCALCS (server: takes them)."""

    def __init__(self, link: BoardLink, radio: Radio, next_tsn: Callable[[], int]):
        self.link = link
        self.radio = radio
        self.next_tsn = next_tsn

    def send(self, event: dict) -> None:
        """An ESME board's `han.send` event for an HCALCS: the On/Off command, no default response asked."""
        try:
            frame = onoff.frame(int(event["command"]), self.next_tsn())
            self.radio.send_aps(int(event["to"], 16), onoff.CLUSTER, frame, src_ep=ENDPOINT, dst_ep=ENDPOINT,
                                aps_security=False, wait=False)
        except (KeyError, TypeError, ValueError) as exc:
            self._log(f"han.send event for an HCALCS not understood: {exc}")
        except DeliveryFailed as exc:
            self._log(f"On/Off command not sent: {exc}")

    def on_message(self, message: Message) -> bool:
        """Take an On/Off cluster frame (True) and hand its On or Off to the board; anything else (a ZDO request on
        the same cluster number among it) is not ours."""
        if not isinstance(message, ApsMessage) or message.cluster != onoff.CLUSTER or message.profile == zdo.PROFILE_ZDO:
            return False
        try:
            on = onoff.switching(message.payload)
        except InputError as exc:
            self._log(f"dropped a malformed On/Off frame from {message.src:016X}: {exc}")
            return True
        if on is None:
            self._log(f"On/Off frame from {message.src:016X} is neither an On nor an Off command: not taken")
        else:
            self.link.call("hcalcs.switch", **{"from": f"{message.src:016X}", "on": on})
        return True

    def _log(self, text: str) -> None:
        self.link.call("log", text=text)
