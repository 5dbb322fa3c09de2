# Prepayment Meter Interface Device (BAD 7.3.2, 7.5.1.5.1): shows its meters' credit and the supplier's messages,
# takes UTRN entry and emergency-credit selection, and hands what it sends on the HAN to its host half as `han.send`
# events: to an ESME the ZSE Prepayment cluster command (ZCL payload), to a GSME the GBZ content of PCS01 (top up)
# or PCS02 (select EC), which the GPF relays. The GBCS wrapping of PCS01/PCS02 and the HAN carriage belong to the
# host half and the GBCS-over-the-HAN work; this half decides what is sent. GBCS over the HAN: joins with its
# meters (CS03A2 with the ESME, CS03C with the GSME) and unjoins (firmware.roles.device_gbcs).
# Firmware (GBCS 4): the board's OTA client holds a downloaded image; CS06 (which reaches a PPMID from the ACB: it
# holds no supplier cell, BAD Table 11) activates it; CS08 reads the running version. The Firmware Distribution
# Receipt goes to the ACB as 0x00CF (GBZ, the PPMID being a ZigBee device).
#
# Keys: digits collect on the display, "*" clears, "#" submits a UTRN (its check digit checked first) to the
# selected meter, "A" selects emergency credit on it, "C" switches between the electricity and the gas meter.
# Board link (the host half feeds what the meters publish):
#   ppmid.show {"meter": "esme"|"gsme", "credit": {"balance", "ec_available", "ec_in_use", "low", ...}}
#   ppmid.message {"text"}      a supplier message (ECS10/GCS07 forwarded)
#   ppmid.result {"meter", "result": ZSE result type, "value", "credit_remaining"}   a Consumer Top Up Response
# Configuration (/config.json): "ppmid": {"esme": EUI hex, "gsme": EUI hex}, the meters it is paired with; without
# it, the meters its joins put in its Device Log.
# The PCS01 GBZ is one Prepayment cluster Consumer Top Up component (ZCL sequence 0) with originating device 0x02
# (IHD), as in the RTDS PCS01; PCS02 carries Select Available Emergency Credit the same way [I: no RTDS PCS02].
# With a GBCS identity and the GSME's KA key (from the CS03C that joined it, firmware.roles.device_gbcs), the event
# also carries the whole PCS01/PCS02 ("hex"): this board's next command counter (on flash), MAC'd with its KA key x
# the GSME's (gbcs.md 2.5). The GSME's response comes back through the CH as a `gbcs.command` the board checks (the
# GSME's MAC) and shows: the Consumer Top Up Response's result and value (thousandths of a penny), or the Default
# Response's status to Select EC. Bench stimulus "stim.bad_mac": the next PCS01/PCS02 goes with its MAC corrupted
# (a forger on the HAN, for the GSME's MAC check to be shown).
import binascii

from firmware.link import MethodError, param
from firmware.roles import device_gbcs
from firmware.roles.base import Role
from firmware.roles.device_gbcs import DeviceGbcs

PREPAYMENT_CLUSTER = 0x0705
SELECT_EC = 0x00
CONSUMER_TOP_UP = 0x04
ORIGIN_IHD = 0x02
PCS01 = 0x009B
PCS02 = 0x0090
TOP_UP_RESPONSE = 0x03
DEFAULT_RESPONSE = 0x0B
MILLI = 1000
ZCL_EPOCH_MS = 946684800000  # 2000-01-01T00:00:00Z, the origin of ZCL UTCTime
METERS = ("esme", "gsme")
FUELS = {"esme": "ELEC", "gsme": "GAS"}
DEVICE_TYPES = {"esme": 1, "gsme": 0}  # deviceType in a join's otherDeviceType (BAD Table 11)
RESULTS = {0x00: "ACCEPTED", 0x01: "INVALID", 0x02: "DUPLICATE", 0x03: "ERROR", 0x04: "MAX CREDIT",
           0x05: "KEYPAD LOCK", 0x06: "TOO LARGE", 0x10: "ACCEPTED", 0x11: "ACCEPTED", 0x12: "ACCEPTED"}


def money(pennies):
    sign = "-" if pennies < 0 else ""
    return "%s%d.%02d" % (sign, abs(pennies) // 100, abs(pennies) % 100)


class Ppmid(DeviceGbcs):
    name = "ppmid"
    has_display = True

    def setup(self):
        DeviceGbcs.setup(self)
        if self.gbcs is not None:
            self.gbcs.command_counter = self.state.get("command_counter", 0)
        from firmware import ota_gbcs, ota_role

        self.ota_handlers = ota_role.attach_if_able(self, reads=(ota_gbcs.CS08,), gbz=True)

    def join_codes(self):
        return (device_gbcs.CS03A2, device_gbcs.CS03C)

    def handlers(self):
        out = DeviceGbcs.handlers(self)
        out.update(self.ota_handlers)
        return out

    def defaults(self):
        state = DeviceGbcs.defaults(self)
        state.update({"target": "esme", "credit": {}, "message": None, "command_counter": 0, "bad_mac": False})
        return state

    def methods(self):
        out = DeviceGbcs.methods(self)
        out.update({"ppmid.show": self.show, "ppmid.message": self.message, "ppmid.result": self.result,
                    "stim.bad_mac": self.stim_bad_mac})
        return out

    def stim_bad_mac(self, params):
        self.state["bad_mac"] = True
        self.save()
        return {"armed": True}

    def paired(self, meter):
        """The EUI (hex) of the paired `meter`, or None: the configured one, else the meter of that type in this
        PPMID's Device Log (put there by CS03A2 / CS03C)."""
        configured = (self.hal.config.get("ppmid") or {}).get(meter)
        if configured:
            return configured
        for entry in self.state["devlog"]:
            if entry.get("type") == DEVICE_TYPES[meter]:
                return entry["eui"]
        return None

    def idle_text(self):
        meter = self.state["target"]
        info = self.state["credit"].get(meter)
        text = FUELS[meter] + (" CREDIT " + money(info["balance"]) if info else " NO DATA")
        if info and info.get("ec_in_use"):
            text += " EC IN USE"
        elif info and info.get("ec_available"):
            text += " EC AVAILABLE"
        if info and info.get("low"):
            text += " LOW"
        if self.state["message"]:
            text += " MSG " + self.state["message"]
        return text

    # ------------------------------------------------------------------ what the meters tell it
    def _meter(self, params):
        meter = param(params, "meter", str)
        if meter not in METERS:
            raise MethodError("bad_params", "parameter 'meter' must be one of %s" % ", ".join(METERS))
        return meter

    def show(self, params):
        meter = self._meter(params)
        info = param(params, "credit", dict)
        if not isinstance(info.get("balance"), int):
            raise MethodError("bad_params", "credit.balance must be an integer")
        self.state["credit"][meter] = info
        self.save()
        self.refresh_display()
        return {"display": self.hal.display.text}

    def message(self, params):
        self.state["message"] = param(params, "text", str)[:64]
        self.save()
        self.refresh_display()
        return {"display": self.hal.display.text}

    def result(self, params):
        meter = self._meter(params)
        code = param(params, "result", int)
        word = RESULTS.get(code, "RESULT %d" % code)
        value = param(params, "value", int, 0, required=False)
        text = "%s TOP UP %s" % (FUELS[meter], word)
        if word == "ACCEPTED":
            text += " +" + money(value)
        self.hal.display.show(text)
        return {"display": text}

    # ------------------------------------------------------------------ the consumer
    def on_key(self, key):
        if key == "#":
            entry, self.entry = self.entry, ""
            self.top_up(entry)
        elif key == "A":
            self.entry = ""
            self.select_ec()
        elif key == "C":
            self.entry = ""
            self.state["target"] = "gsme" if self.state["target"] == "esme" else "esme"
            self.save()
            self.refresh_display()
        else:
            Role.on_key(self, key)

    def top_up(self, entry):
        """Check the UTRN's form and check digit, then send it to the selected meter."""
        from firmware.utrn import UtrnRejected, check_digit  # the check digit only; the meter checks the MAC

        try:
            if len(entry) != 20 or not entry.isdigit():
                raise UtrnRejected("malformed")
            if check_digit(entry[:19]) != int(entry[19]):
                raise UtrnRejected("check_digit")
        except UtrnRejected as e:
            self.hal.display.show("UTRN INVALID " + e.reason)
            return None
        payload = bytes([ORIGIN_IHD, len(entry)]) + entry.encode()
        return self.send(CONSUMER_TOP_UP, payload, PCS01, "UTRN SENT")

    def select_ec(self):
        """Select emergency credit on the selected meter."""
        issued = (self.hal.clock.now_ms() - ZCL_EPOCH_MS) // 1000
        payload = (issued & 0xFFFFFFFF).to_bytes(4, "little") + bytes([ORIGIN_IHD])
        return self.send(SELECT_EC, payload, PCS02, "EC REQUESTED")

    def send(self, command, payload, gbcs_code, shown):
        """A `han.send` event for the selected meter: ZSE to an ESME, PCS01/PCS02 GBZ via the GPF to a GSME."""
        meter = self.state["target"]
        eui = self.paired(meter)
        if eui is None:
            self.hal.display.show("NO %s METER" % FUELS[meter])
            return None
        if meter == "esme":
            out = {"to": eui, "meter": meter, "cluster": PREPAYMENT_CLUSTER, "command": command,
                   "payload": binascii.hexlify(payload).decode()}
        else:
            from firmware.gbcs import gbz

            content = gbz.build(gbz.Gbz([gbz.Component(PREPAYMENT_CLUSTER, 0x01, 0, command, payload)]))
            out = {"to": eui, "meter": meter, "via": "gpf", "message_code": gbcs_code,
                   "gbz": binascii.hexlify(content).decode()}
            whole = self.pcs(eui, gbcs_code, content)
            if whole is not None:
                out["hex"] = binascii.hexlify(whole).decode()
        self.hal.emit("han.send", out)
        self.hal.display.show("%s %s" % (FUELS[meter], shown))
        return out

    def pcs(self, eui, code, content):
        """The whole PCS01/PCS02 to the GSME `eui` (hex), or None without a GBCS identity or the GSME's KA key."""
        entry = self.find(eui.upper())
        if self.gbcs is None or entry is None or not entry.get("ka"):
            return None
        data = self.gbcs.build_command(binascii.unhexlify(eui), code, content)
        self.state["command_counter"] = self.gbcs.command_counter
        if self.state["bad_mac"]:
            self.state["bad_mac"] = False
            data = data[:-1] + bytes([data[-1] ^ 0x01])  # the MAC is the message's last 12 octets
        self.save()
        return data

    # ------------------------------------------------------------------ the GSME's answers
    def gbcs_command(self, params):
        """A GBCS message through the CH: the GSME's response to a PCS01/PCS02 is checked and shown; anything else
        is a command, checked as any device checks one."""
        from firmware.gbcs import frame
        from firmware.gbcs.errors import ParseError, Rejected

        data = binascii.unhexlify(param(params, "hex", str))
        try:
            msg = frame.parse(data)
        except ParseError:
            msg = None
        if msg is None or msg.cra != frame.CRA_RESPONSE or msg.message_code not in (PCS01, PCS02):
            return DeviceGbcs.gbcs_command(self, params)
        try:
            msg = self._need_gbcs().check_response(data, msg.message_code)
            self.pcs_response(msg)
        except (Rejected, ParseError) as e:
            self.hal.log("PCS response refused: %s" % e)
            return {"response": None, "rejected": getattr(e, "reason", "malformed_payload")}
        return {"response": None, "rejected": None, "code": msg.message_code}

    def pcs_response(self, msg):
        from firmware.gbcs import gbz
        from firmware.gbcs.errors import ParseError

        comps = gbz.parse(msg.content).components
        if len(comps) != 1 or comps[0].cluster != PREPAYMENT_CLUSTER:
            raise ParseError("expected one Prepayment cluster component", "pcs_response", 0)
        p = bytes(comps[0].payload)
        if msg.message_code == PCS01 and comps[0].command == TOP_UP_RESPONSE and len(p) == 10:
            value = int.from_bytes(p[1:5], "little")
            value = value - (1 << 32) if value & 0x80000000 else value
            self.result({"meter": "gsme", "result": p[0], "value": value // MILLI})
        elif msg.message_code == PCS02 and comps[0].command == DEFAULT_RESPONSE and len(p) == 2:
            self.hal.display.show("GAS EC %s" % ("ACCEPTED" if p[1] == 0 else "REFUSED"))
        else:
            raise ParseError("not the response to PCS01/PCS02", "pcs_response", 0)


ROLE = Ppmid
