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
        state.update({"target": "esme", "credit": {}, "message": None})
        return state

    def methods(self):
        out = DeviceGbcs.methods(self)
        out.update({"ppmid.show": self.show, "ppmid.message": self.message, "ppmid.result": self.result})
        return out

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
        self.hal.emit("han.send", out)
        self.hal.display.show("%s %s" % (FUELS[meter], shown))
        return out


ROLE = Ppmid
