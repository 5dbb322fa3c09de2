"""The device's GBCS security role: check incoming commands, build responses and alerts.

Check order (gbcs.md 2.8): parse -> recipient is this device -> it is a command -> originator known ->
counter strictly greater than the last accepted for that originator -> ACB MAC -> KRP signature
(critical commands). Each rejection raises Rejected with one of REASONS.
HAN-only commands (PCS01/PCS02, PPMID -> GSME; gbcs.md 2.5) are MAC'd device to device: the originator's KA key
(learnt from its join) with this device's, not the ACB's; a device originates them with `build_command`.
"""
from ..crypto import p256
from . import frame, security
from .errors import ParseError, Rejected

MALFORMED = "malformed"
WRONG_RECIPIENT = "wrong_recipient"
NOT_A_COMMAND = "not_a_command"
UNKNOWN_ORIGINATOR = "unknown_originator"
REPLAY = "counter_not_greater"
MAC_MISSING = "mac_missing"
MAC_INVALID = "mac_invalid"
SIGNATURE_MISSING = "signature_missing"
SIGNATURE_INVALID = "signature_invalid"
PEER_CODES = (0x009B, 0x0090)  # PCS01, PCS02: HAN-only, MAC'd with the originating device's KA key
REASONS = (MALFORMED, WRONG_RECIPIENT, NOT_A_COMMAND, UNKNOWN_ORIGINATOR, REPLAY, MAC_MISSING,
           MAC_INVALID, SIGNATURE_MISSING, SIGNATURE_INVALID)


class Party:
    """A trust anchor: a remote party's raw public keys (65-byte points; either may be None)."""

    def __init__(self, ds=None, ka=None):
        self.ds = ds
        self.ka = ka


class Device:
    """GBCS security state of one device.

    ``eui``: own 8-byte EUI; ``ka_private``/``ds_private``: own raw 32-byte keys; ``acb``: the ACB's EUI;
    ``parties``: dict EUI bytes -> Party (must include the ACB with its KA key);
    ``critical_codes``: message codes whose commands must carry a KRP signature;
    ``unmacd_codes``: message codes accepted without a MAC when validly signed (e.g. CS02b by Recovery).
    """

    def __init__(self, eui, ka_private, ds_private, acb, parties, critical_codes=(), unmacd_codes=()):
        self.eui = bytes(eui)
        self.ka_private = ka_private
        self.ds_private = ds_private
        self.acb = bytes(acb)
        self.parties = parties
        self.critical_codes = set(critical_codes)
        self.unmacd_codes = set(unmacd_codes)
        self.counters = {}
        self.alert_counter = 0
        self.command_counter = 0
        self._z = {}

    def shared_secret(self, eui):
        """ECDH Z between own KA key and the KA key of party ``eui`` (cached per party)."""
        z = self._z.get(eui)
        if z is None:
            party = self.parties.get(eui)
            if party is None or party.ka is None:
                raise Rejected(UNKNOWN_ORIGINATOR, "no KA key for " + bytes(eui).hex())
            z = p256.ecdh(self.ka_private, party.ka)
            self._z[eui] = z
        return z

    def forget(self, eui):
        """Drop the cached ECDH secret of party ``eui`` (its key changed or it left)."""
        self._z.pop(bytes(eui), None)

    def _parse_mine(self, data):
        """The parsed message, which must be for this device."""
        try:
            msg = frame.parse(data)
        except ParseError as e:
            raise Rejected(MALFORMED, str(e))
        if msg.recipient != self.eui:
            raise Rejected(WRONG_RECIPIENT, msg.recipient.hex())
        return msg

    def check_command(self, data, commit=True, verify_signature=True, verify_peer_mac=True, verify_mac=True):
        """The parsed command when every check passes (and, with ``commit``, its counter is stored).

        ``verify_signature`` False skips the KRP signature check, ``verify_peer_mac`` False the MAC of a HAN-only
        command, ``verify_mac`` False the ACB MAC: only the emulated defects 'skip_krp_check', 'pcs_mac_unchecked'
        and 'skip_local_mac_check'."""
        msg = self._parse_mine(data)
        if msg.cra != frame.CRA_COMMAND or msg.signature is None:
            raise Rejected(NOT_A_COMMAND, "CRA %d" % msg.cra)
        party = self.parties.get(msg.originator)
        if party is None:
            raise Rejected(UNKNOWN_ORIGINATOR, msg.originator.hex())
        counter = msg.counter_int()
        last = self.counters.get(msg.originator)
        if last is not None and counter <= last:
            raise Rejected(REPLAY, "%d <= %d" % (counter, last))
        signed = len(msg.signature) == 64
        if msg.mac is None:
            if not (signed and msg.message_code in self.unmacd_codes):
                raise Rejected(MAC_MISSING)
        elif msg.message_code in PEER_CODES:
            if verify_peer_mac and not security.mac_valid(self.shared_secret(msg.originator), msg):
                raise Rejected(MAC_INVALID)
        elif verify_mac and not security.mac_valid(self.shared_secret(self.acb), msg):
            raise Rejected(MAC_INVALID)
        if verify_signature and (signed or msg.message_code in self.critical_codes):
            if not signed:
                raise Rejected(SIGNATURE_MISSING, "message code 0x%04X is critical" % msg.message_code)
            if party.ds is None:
                raise Rejected(UNKNOWN_ORIGINATOR, "no DS key for " + msg.originator.hex())
            if not security.signature_valid(party.ds, msg):
                raise Rejected(SIGNATURE_INVALID)
        if commit:
            self.counters[msg.originator] = counter
        return msg

    def _wrap(self, unsigned, cra, counter, recipient, critical):
        if critical:
            return unsigned + frame.signature_field(security.sign(self.ds_private, unsigned))
        gs = unsigned + frame.signature_field(None)
        key = security.mac_key(self.shared_secret(recipient), self.eui, cra, counter, recipient)
        return frame.mac_wrap(gs, security.compute_mac(key, self.eui, gs))

    def response_other_info(self, command, supp_orig_counter=None):
        """Other-information for a response: the command's, without a trailing certificate, plus the
        device's supplementary originator counter when one is given (the 26-byte URP form)."""
        info = command.other_info[:18] if command.supp_cert is not None else command.other_info
        if supp_orig_counter is not None:
            info = info[:18] + bytes(supp_orig_counter)
        return info

    def build_response(self, command, content, critical=False, date_time=b"", other_info=None):
        """A response to parsed ``command``: same counter, CRA 02, swapped titles; signed with the device's
        DS key (no MAC) when ``critical``, else null signature and MAC with own KA x recipient KA."""
        info = self.response_other_info(command) if other_info is None else other_info
        unsigned = frame.build_signing(frame.CRA_RESPONSE, command.counter, self.eui, command.originator,
                                       info, content, date_time)
        return self._wrap(unsigned, frame.CRA_RESPONSE, command.counter, command.originator, critical)

    def build_command(self, recipient, message_code, content):
        """A HAN-only command (CRA 01) to device ``recipient`` with this device's next command counter, MAC'd with
        own KA x the recipient's KA (gbcs.md 2.5)."""
        self.command_counter += 1
        counter = self.command_counter.to_bytes(8, "big")
        unsigned = frame.build_signing(frame.CRA_COMMAND, counter, self.eui, bytes(recipient),
                                       frame.build_other_info(message_code), content)
        return self._wrap(unsigned, frame.CRA_COMMAND, counter, bytes(recipient), False)

    def check_response(self, data, message_code):
        """The parsed response to a HAN-only command this device sent (``message_code``), MAC'd by its recipient;
        Rejected otherwise."""
        msg = self._parse_mine(data)
        if msg.cra != frame.CRA_RESPONSE or msg.message_code != message_code:
            raise Rejected(NOT_A_COMMAND, "CRA %d code 0x%04X" % (msg.cra, msg.message_code))
        if msg.mac is None:
            raise Rejected(MAC_MISSING)
        if not security.mac_valid(self.shared_secret(msg.originator), msg):
            raise Rejected(MAC_INVALID)
        return msg

    def build_alert(self, recipient, message_code, content, critical=False, date_time=b""):
        """An alert with the device's next alert counter and CRA 03 (signed when critical, else MAC'd)."""
        self.alert_counter += 1
        counter = self.alert_counter.to_bytes(8, "big")
        unsigned = frame.build_signing(frame.CRA_ALERT, counter, self.eui, bytes(recipient),
                                       frame.build_other_info(message_code), content, date_time)
        return self._wrap(unsigned, frame.CRA_ALERT, counter, bytes(recipient), critical)
