"""The DCC core: builds, signs and MACs commands; matches and verifies responses; verifies alerts.

Commands: a remote party's pre-command (grouping header + payload) is signed by that party when critical, and
the ACB MACs every command with ACB KA x device KA (originator in the KDF = the header's originator, gbcs.md 2.5).
Counters come only from the persisted ``CounterStore``; ``send`` refuses a header whose counter this core did not
reserve or has already sent, so no (originator, counter) pair can be used twice.
Responses must match an outstanding command (counter, originator, recipient) and are verified by the command's
criticality: device DS signature for critical, device KA x recipient KA MAC otherwise. Alerts are verified the same
way by their form and their counters must increase per device.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from harness.dcc.counters import CounterStore
from harness.dcc.errors import MissingKey, Reason, Rejected
from harness.dcc.parties import RemoteParty, default_parties
from harness.errors import InputError
from harness.gbcs import security
from harness.gbcs.apdu import CRA_COMMAND, CRA_RESPONSE, GroupingHeader, Message, OtherInfo
from harness.gbcs.keystore import KeyStore
from harness.smki.roles import Role

Content = bytes | Callable[[int], bytes]
"""Command content, or a function of the counter (DLMS invoke ids and CS06 carry the counter)."""


@dataclass(frozen=True)
class Outgoing:
    """A command the core has sent: its header and the bytes to transmit."""

    header: GroupingHeader
    data: bytes
    critical: bool

    @property
    def key(self) -> tuple[int, bytes, bytes]:
        """(counter, device, originator): what a response must echo."""
        return self.header.counter, self.header.recipient, self.header.originator


@dataclass(frozen=True)
class Received:
    """A verified response or alert; ``command`` is the command a response answers."""

    message: Message
    command: Outgoing | None = None

    @property
    def kind(self) -> str:
        return "response" if self.message.grouping.cra == CRA_RESPONSE else "alert"

    @property
    def header(self) -> GroupingHeader:
        return self.message.grouping


class DccCore:
    """Transport-neutral DCC core acting for a set of remote parties and the ACB."""

    def __init__(self, keys: KeyStore, counters: CounterStore, parties: Iterable[RemoteParty] | None = None):
        self.keys = keys
        self.counters = counters
        self.parties = {p.eui: p for p in (default_parties() if parties is None else parties)}
        acbs = [p for p in self.parties.values() if p.role is Role.ACB]
        if len(acbs) != 1:
            raise ValueError("exactly one party must have the ACB role")
        self.acb = acbs[0]
        self._reserved: set[tuple[bytes, int]] = set()
        self._outstanding: dict[tuple[int, bytes, bytes], Outgoing] = {}
        self._answered: set[tuple[int, bytes, bytes]] = set()

    # ----------------------------------------------------------------------------------------------- commands
    def party(self, eui: bytes) -> RemoteParty:
        """The party with this EUI; MissingKey when the core does not act for it."""
        try:
            return self.parties[bytes(eui)]
        except KeyError:
            raise MissingKey(f"the DCC core does not act for {bytes(eui).hex().upper()}") from None

    def precommand(self, originator: bytes, device: bytes, message_code: int, payload: Content, *,
                   align: int = 1, supplementary: tuple[bytes, int] | None = None,
                   date_time: bytes | None = None) -> GroupingHeader:
        """A pre-command from ``originator`` to ``device`` with a freshly reserved (persisted) counter.

        ``supplementary`` = (requester EUI, requester counter) for commands the ACB originates on another's behalf.
        """
        party = self.party(originator)
        counter = self.counters.reserve(party.eui, align=align)
        self._reserved.add((party.eui, counter))
        content = payload(counter) if callable(payload) else payload
        other = OtherInfo(message_code) if supplementary is None else OtherInfo(message_code, *supplementary)
        return GroupingHeader(CRA_COMMAND, counter, party.eui, bytes(device), date_time, other, bytes(content),
                              signature=None)

    def sign(self, precommand: GroupingHeader) -> GroupingHeader:
        """The originator's KRP signature over the pre-command."""
        key = self.party(precommand.originator).private_key(self.keys, "ds")
        return security.sign_grouping(precommand.precommand(), key)

    def send(self, header: GroupingHeader, *, critical: bool, mac: bool = True) -> Outgoing:
        """Have the ACB MAC the command and record it as outstanding; returns the bytes to transmit.

        ``mac=False`` sends a signed command bare, with no MAC header (e.g. CS02b from the Recovery party).
        """
        slot = (header.originator, header.counter)
        if slot not in self._reserved:
            raise ValueError(f"counter {header.counter:016X} of {header.originator.hex().upper()} was not reserved "
                             "by this core or has already been sent")
        if critical and (header.signature is None or len(header.signature) != 64):
            raise ValueError("a critical command must carry its KRP signature (call sign first)")
        if not mac and not critical:
            raise ValueError("a command without a MAC must be critical (signed)")
        if not critical:
            if header.signature:
                raise ValueError("a non-critical command carries a null signature field")
            header = header.with_signature(b"")
        if mac:
            device_ka = self.keys.public_key(header.recipient, "ka")
            if device_ka is None:
                raise MissingKey(f"keystore has no KA certificate for device {header.recipient.hex().upper()}")
            message = security.apply_mac(header, self.acb.private_key(self.keys, "ka"), device_ka)
        else:
            message = Message(header)
        self._reserved.discard(slot)
        outgoing = Outgoing(header, message.encode(), critical)
        self._outstanding[outgoing.key] = outgoing
        return outgoing

    def command(self, originator: bytes, device: bytes, message_code: int, payload: Content, *,
                critical: bool = False, align: int = 1) -> Outgoing:
        """Build, sign (when critical), MAC and send a command from a known remote party."""
        header = self.precommand(originator, device, message_code, payload, align=align)
        return self.send(self.sign(header) if critical else header, critical=critical)

    def acb_command(self, requester: bytes, device: bytes, message_code: int, payload: Content, *,
                    critical: bool = False) -> Outgoing:
        """A command the ACB originates on behalf of ``requester`` (18-byte other-information: requester EUI and
        the requester's own counter, also reserved from the store)."""
        requester_party = self.party(requester)
        requester_counter = self.counters.reserve(requester_party.eui)
        header = self.precommand(self.acb.eui, device, message_code, payload,
                                 supplementary=(requester_party.eui, requester_counter))
        return self.send(self.sign(header) if critical else header, critical=critical)

    @property
    def outstanding(self) -> list[Outgoing]:
        """Commands sent and not yet answered."""
        return list(self._outstanding.values())

    # ----------------------------------------------------------------------------------------------- receiving
    def receive(self, data: bytes) -> Received:
        """Decode and verify a response or alert; raises Rejected with the reason otherwise."""
        try:
            message = Message.decode(data)
        except InputError as exc:
            raise Rejected(Reason.MALFORMED, str(exc), field=exc.field, offset=exc.offset) from exc
        header = message.grouping
        if header.cra == CRA_COMMAND:
            raise Rejected(Reason.MALFORMED, "the DCC receives responses and alerts, not commands",
                           field="transaction_id.cra")
        recipient = self.parties.get(header.recipient)
        if recipient is None:
            raise Rejected(Reason.WRONG_RECIPIENT, f"{header.recipient.hex().upper()} is not a party of this core",
                           field="recipient_system_title")
        if header.cra == CRA_RESPONSE:
            return self._response(message, recipient)
        return self._alert(message, recipient)

    def receive_unsolicited(self, data: bytes, codes: Iterable[int]) -> Received | None:
        """A response no command is outstanding for, whose message code is in `codes` (a top-up entered on the
        meter answers with a CS01a/b response): verified like an alert (signature or MAC). Its counter is the
        UTRN's (the supplier's series, not the device's alert series), so it is checked only against the same
        response seen before, never against alert counters. None when it is not such a response; Rejected when it
        fails verification."""
        try:
            message = Message.decode(data)
        except InputError:
            return None
        header = message.grouping
        recipient = self.parties.get(header.recipient)
        if header.cra != CRA_RESPONSE or header.message_code not in set(codes) or recipient is None:
            return None
        key = (header.counter, header.originator, recipient.eui)
        self._verify_origin(message, recipient)
        if key in self._answered:
            raise Rejected(Reason.REPLAYED_COUNTER, f"response under counter {header.counter:016X} was already "
                           "received", field="transaction_id.counter")
        self._answered.add(key)
        return Received(message)

    def _response(self, message: Message, recipient: RemoteParty) -> Received:
        header = message.grouping
        key = (header.counter, header.originator, recipient.eui)
        command = self._outstanding.get(key)
        if command is None:
            self._unmatched(header, key)
        if header.message_code != command.header.message_code:
            raise Rejected(Reason.MALFORMED, f"message code {header.message_code:04X} differs from the command's "
                           f"{command.header.message_code:04X}", field="other_information.message_code")
        supp = command.header.other_info.supplementary_remote_party_id
        if header.other_info.supplementary_remote_party_id != supp:
            raise Rejected(Reason.MALFORMED, "supplementary remote party differs from the command's",
                           field="other_information.supplementary_remote_party_id")
        if command.critical:
            self._check_signature(message)
        if message.mac is not None or not command.critical:
            self._check_mac(message, recipient)
        del self._outstanding[key]
        self._answered.add(key)
        return Received(message, command)

    def _unmatched(self, header: GroupingHeader, key: tuple[int, bytes, bytes]) -> None:
        if key in self._answered:
            raise Rejected(Reason.REPLAYED_COUNTER, f"counter {header.counter:016X} was already answered",
                           field="transaction_id.counter")
        for counter, device, originator in self._outstanding:
            if counter == header.counter and originator == header.recipient:
                raise Rejected(Reason.UNKNOWN_ORIGINATOR, f"the command went to {device.hex().upper()}, not "
                               f"{header.originator.hex().upper()}", field="originator_system_title")
            if counter == header.counter and device == header.originator:
                raise Rejected(Reason.WRONG_RECIPIENT, f"the command came from {originator.hex().upper()}",
                               field="recipient_system_title")
        raise Rejected(Reason.UNMATCHED, f"no outstanding command with counter {header.counter:016X} from "
                       f"{header.recipient.hex().upper()} to {header.originator.hex().upper()}",
                       field="transaction_id.counter")

    def _alert(self, message: Message, recipient: RemoteParty) -> Received:
        header = message.grouping
        self._verify_origin(message, recipient)
        if not self.counters.accept(header.originator, header.counter):
            raise Rejected(Reason.REPLAYED_COUNTER, f"alert counter {header.counter:016X} is not above the last one "
                           f"from {header.originator.hex().upper()}", field="transaction_id.counter")
        return Received(message)

    def _verify_origin(self, message: Message, recipient: RemoteParty) -> None:
        """The device's signature or MAC on a message it sent unasked."""
        if message.grouping.signature:
            self._check_signature(message)
        elif message.mac is None:
            raise Rejected(Reason.BAD_SIGNATURE, "alert is neither signed nor MAC'd", field="signature")
        if message.mac is not None:
            self._check_mac(message, recipient)

    def _check_signature(self, message: Message) -> None:
        header = message.grouping
        public = self.keys.public_key(header.originator, "ds")
        if public is None:
            raise Rejected(Reason.UNKNOWN_ORIGINATOR, f"no DS certificate for {header.originator.hex().upper()}",
                           field="originator_system_title")
        if not security.verify_signature(header, public):
            raise Rejected(Reason.BAD_SIGNATURE, "device signature missing or invalid", field="signature")

    def _check_mac(self, message: Message, recipient: RemoteParty) -> None:
        header = message.grouping
        public = self.keys.public_key(header.originator, "ka")
        if public is None:
            raise Rejected(Reason.UNKNOWN_ORIGINATOR, f"no KA certificate for {header.originator.hex().upper()}",
                           field="originator_system_title")
        if not security.check_mac(message, recipient.private_key(self.keys, "ka"), public):
            raise Rejected(Reason.BAD_MAC, "MAC missing or invalid", field="mac")
