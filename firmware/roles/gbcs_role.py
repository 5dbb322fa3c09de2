# A role that takes GBCS commands over its WAN or HAN side and answers them, checking every command with
# the board's own crypto (firmware.gbcs, firmware.crypto), never the harness's.
#
# Configuration (/config.json, "gbcs"): eui, ka_private, ds_private (hex), acb (hex EUI), parties
# {eui hex: {"ds": hex point or null, "ka": hex point or null}}, critical_codes [int], unmacd_codes [int].
# Anti-replay counters and the alert counter persist on flash, so a power cycle cannot reopen a replay.
# The GBCS codec and crypto modules are imported when first needed: a small board without a GBCS identity (or
# before its first command) keeps that heap free.
import binascii

from firmware.gbcs.errors import ParseError, Rejected
from firmware.link import MethodError, param
from firmware.roles.base import Role


def _unhex(value, field):
    try:
        return binascii.unhexlify(value)
    except (TypeError, ValueError):
        raise MethodError("bad_config", "gbcs config field %r is not hex" % field)


def _hex(data):
    return binascii.hexlify(data).decode().upper()


def _code_of(data):
    """The message code of a command that failed its checks, or None when it does not parse."""
    from firmware.gbcs import frame

    try:
        return frame.parse(data).message_code
    except ParseError:
        return None


def _originator_of(data):
    from firmware.gbcs import frame

    try:
        return _hex(frame.parse(data).originator)
    except ParseError:
        return None


class Refused(Exception):
    """A handler refuses an authenticated command by a device rule (no response is sent); `reason` names it."""

    def __init__(self, reason, detail=""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class GbcsRole(Role):
    """Base of the roles that handle GBCS commands; subclasses fill `handlers()`: {message code: fn(msg)}."""

    def __init__(self, hal):
        self.gbcs = None
        self.via = None
        Role.__init__(self, hal)

    def defaults(self):
        return {"counters": {}, "alert_counter": 0}

    def setup(self):
        cfg = self.hal.config.get("gbcs")
        self.gbcs = None
        if not isinstance(cfg, dict):
            return
        from firmware.gbcs import device  # P-256 and GCM cost heap: loaded only by a board with a GBCS identity

        parties = {}
        for eui, keys in (cfg.get("parties") or {}).items():
            parties[_unhex(eui, "parties")] = device.Party(
                ds=_unhex(keys["ds"], "parties.ds") if keys.get("ds") else None,
                ka=_unhex(keys["ka"], "parties.ka") if keys.get("ka") else None)
        dev = device.Device(_unhex(cfg["eui"], "eui"), _unhex(cfg["ka_private"], "ka_private"),
                            _unhex(cfg["ds_private"], "ds_private"), _unhex(cfg["acb"], "acb"), parties,
                            cfg.get("critical_codes", ()), cfg.get("unmacd_codes", ()))
        for eui, counter in self.state["counters"].items():
            dev.counters[_unhex(eui, "counters")] = counter
        dev.alert_counter = self.state["alert_counter"]
        self.gbcs = dev

    def defect(self, name):
        """True when the bench asked this emulator to misbehave in the named way (defect injection)."""
        return name in (self.hal.config.get("defects") or ())

    def methods(self):
        return {"gbcs.command": self.gbcs_command}

    def handlers(self):
        return {}

    def _need_gbcs(self):
        if self.gbcs is None:
            raise MethodError("unconfigured", "no GBCS identity in /config.json")
        return self.gbcs

    def gbcs_command(self, params):
        """Check a command and run it: {"response": hex or None, "rejected": reason or None, "code": int}."""
        dev = self._need_gbcs()
        data = _unhex(param(params, "hex", str), "hex")
        # Where the command came from: None for the WAN, or the EUI-64 of the HHT that delivered it locally.
        self.via = param(params, "via", str, None, required=False)
        if self.defect("no_anti_replay"):
            dev.counters = {}
        early = None
        if self.execute_first():
            early = self._run_unchecked(data)
        try:
            msg = dev.check_command(data, commit=False, **self.check_options())
        except Rejected as e:
            self.hal.log("gbcs command rejected: %s" % e)
            self.on_refused(_code_of(data), _originator_of(data), e.reason)
            return {"response": None, "rejected": e.reason, "detail": e.detail}
        handler = self.handlers().get(msg.message_code)
        if handler is None:
            self.hal.log("gbcs command 0x%04X not supported by %s" % (msg.message_code, self.name))
            self.on_refused(msg.message_code, _hex(msg.originator), "unsupported")
            return {"response": None, "rejected": "unsupported", "detail": "0x%04X" % msg.message_code}
        dev.counters[msg.originator] = msg.counter_int()
        self.state["counters"][_hex(msg.originator)] = msg.counter_int()
        self.save()
        try:
            content = early if early is not None else handler(msg)
        except ParseError as e:
            self.hal.log("gbcs command payload malformed: %s" % e)
            self.on_refused(msg.message_code, _hex(msg.originator), "malformed_payload")
            return {"response": None, "rejected": "malformed_payload", "detail": str(e)}
        except Refused as e:
            self.hal.log("gbcs command refused: %s %s" % (e.reason, e.detail))
            self.on_refused(msg.message_code, _hex(msg.originator), e.reason)
            return {"response": None, "rejected": e.reason, "detail": e.detail}
        self.on_executed(msg.message_code, _hex(msg.originator))
        # A critical command (KRP-signed) gets a response signed with the device's DS key and no MAC (GBCS 1.5).
        critical = msg.signature is not None and len(msg.signature) == 64 and self.sign_responses()
        response = dev.build_response(msg, content, critical=critical)
        if self.defect("bad_response_mac") and not critical:
            response = response[:-1] + bytes([response[-1] ^ 0x01])  # the MAC is the message's last 12 octets
        return {"response": _hex(response), "rejected": None, "code": msg.message_code}

    def _run_unchecked(self, data):
        """The 'execute_before_verify' defect: run the handler on the parsed command before any check."""
        from firmware.gbcs import frame

        try:
            msg = frame.parse(data)
            handler = self.handlers().get(msg.message_code)
            return handler(msg) if handler is not None else None
        except (ParseError, Refused):
            return None

    # Hooks a device role overrides (the CHF keeps these defaults).
    def check_options(self):
        """Keyword options of Device.check_command (defects switch checks off)."""
        return {}

    def sign_responses(self):
        return True

    def execute_first(self):
        return False

    def on_refused(self, code, originator, reason):
        """A command was refused: `code` its message code (or None), `originator` hex (or None)."""

    def on_executed(self, code, originator):
        """A command passed every check and was run."""

    def send_alert(self, recipient, message_code, content, critical=False):
        """Build an alert with the next (persisted) alert counter and emit it as an `alert` event."""
        dev = self._need_gbcs()
        data = dev.build_alert(recipient, message_code, content, critical)
        self.state["alert_counter"] = dev.alert_counter
        self.save()
        self.uplink({"hex": _hex(data), "code": message_code})
        return data

    def uplink(self, alert):
        """Send an alert towards its recipient (an `alert` event); the CHF overrides this to buffer."""
        self.hal.emit("alert", alert)
