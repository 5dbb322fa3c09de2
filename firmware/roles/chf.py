# Communications Hub Function: the CHF Device Log (the HAN whitelist) managed by CCS01/CCS02 from the DCC,
# with a CS14 alert (0x8F12, carrying the log) each time the log changes and again when a device has joined.
# The HAN side (permit joining, CBKE, inter-PAN) runs on the host half; it reads the log through `devlog.get`,
# reports joins with `devlog.joined`, asks `interpan.allowed` for the 60-minute window, and learns of log changes
# from `devlog.added` / `devlog.removed` events. Commands an HHT delivers locally arrive with `via` set.
# Where the BAD can be read two ways, a bench policy (`policy.set`, /config.json "policy") says which reading the
# CH follows: `join_period_source` "hht" (BAD 7.2.2.6.3 e read as written: devices an HHT adds may join during the
# period of the HHT's own CCS01) or "device" (each device's own CCS01 sets its Join Time Period).
# Mains monitor (BAD 7.5.6.5.2, TAB DP096): the CH keeps a checkpoint of the time it last had power on flash (each
# minute of its clock). After a power-on that followed a loss of power (its reset cause, `hal.boot_reason`; never a
# software reboot, such as into an image it activated) it reports an outage of 3 minutes or more, from that
# checkpoint to the restoration, to the DCC, which sends AD1 to the Supplier and Network Operator. [I: INFERRED:
# the CH's outage report is CSP-level, not GBCS; the rig carries it as a Generic Non Critical Alert to the ACB with
# alert code POWER_OUTAGE, {alert code, restoration time, outage start}. Correct it here and in harness/dcc/outage.py]
import binascii

from firmware import cosem
from firmware.gbcs import dlms
from firmware.link import MethodError, param
from firmware.roles.gbcs_role import GbcsRole, Refused, _hex

CCS01 = 0x0001
CCS02 = 0x0002
CS14 = 0x0018
ALERT_LOG_CHANGED = 0x8F12
ZIGBEE_NETWORK_CONTROL = 104  # DLMS interface class of the CHF's HAN control object
OBIS_HAN = b"\x00\x00\x1e\x03\x00\xff"
REGISTER_DEVICE, UNREGISTER_DEVICE = 1, 2
ATTR_ENABLE_JOINING, ATTR_JOIN_TIMEOUT = 2, 3
SUCCESS, HARDWARE_FAULT, TEMPORARY_FAILURE, OTHER_REASON = 0, 1, 2, 250
DEFAULT_CAPACITY = 16
RELAY_LOG_LIMIT = 20
GNCA = 0x1001
POWER_OUTAGE = 0xFF01  # [I: rig-private: the outage report has no GBCS alert code; see the top of this file]
OUTAGE_QUALIFY_MS = 180000  # an interruption shorter than 3 minutes is not a reportable outage
CHECKPOINT_MS = 60000       # how often the CH writes its mains checkpoint to flash
INTERPAN_WINDOW_S = 3600  # the CH accepts inter-PAN (HHT) for 60 minutes after power-on (BAD 7.2.2.6.3 a)
POLICIES = {"join_period_source": ("hht", "device")}  # first value: the default (the BAD's reading)


class Chf(GbcsRole):
    name = "chf"
    has_display = False

    def defaults(self):
        state = GbcsRole.defaults(self)
        state["log"] = []  # entries {"eui": hex, "type": int, "ic": hex, "joined": bool}
        state["join_timeout"] = 0
        state["wan_up"] = True
        state["outbox"] = []  # [event, data]: alerts and device messages held while the WAN is down (7.2.2.6.3 i)
        state["first_power_on_ms"] = None  # kept only when playing 'interpan_window_not_restarted'
        state["hht_period_end_ms"] = None  # end of the Join Time Period of the HHT's own CCS01
        configured = self.hal.config.get("policy") or {}
        state["policy"] = dict((k, configured.get(k, v[0])) for k, v in POLICIES.items())
        state["relayed"] = []  # [ms, device EUI hex, message code, relayed?] per command for a HAN device
        state["mains_ms"] = None  # the mains checkpoint: the CH had power at least until then
        return state

    def capacity(self):
        return self.hal.config.get("devlog_capacity", DEFAULT_CAPACITY)

    def methods(self):
        out = GbcsRole.methods(self)
        out.update({"devlog.get": self.devlog_get, "devlog.joined": self.devlog_joined, "wan.set": self.wan_set,
                    "wan.device": self.wan_device,
                    "interpan.allowed": self.interpan_allowed, "policy.set": self.policy_set,
                    "relay.check": self.relay_check})
        out["ota.transferred"] = self.ota_transferred
        return out

    def policy_set(self, params):
        """Bench policies: which reading of the BAD this CH follows where it can be read two ways."""
        for name, value in params.items():
            if value not in POLICIES.get(name, ()):
                raise MethodError("bad_params", "policy %s=%s: not one of %s" % (name, value, POLICIES.get(name)))
            self.state["policy"][name] = value
        self.save()
        return {"policy": self.state["policy"]}

    def join_period_ms(self, entry):
        """How long `entry` may join from now: its CCS01's Join Time Period, or under the 'hht' policy, for a
        device an HHT adds, what is left of the period of the HHT's own CCS01."""
        timeout = self.state["join_timeout"] * 1000
        now = self.hal.clock.now_ms()
        if self.via is not None and entry["eui"] == self.via.upper():
            self.state["hht_period_end_ms"] = now + timeout
        elif self.via is not None and self.state["policy"]["join_period_source"] == "hht" \
                and self.state["hht_period_end_ms"] is not None:
            timeout = max(0, self.state["hht_period_end_ms"] - now)
        return timeout

    def setup(self):
        GbcsRole.setup(self)
        # after a loss of power (not a software reboot) the outage is judged once the clock is known
        self.restored = self.hal.boot_reason != "reboot" or self.defect("ad1_on_reboot")
        from firmware import ota_role

        # the CH's own firmware (BAD 7.5.3.6.5): the DCC delivers the image, a CS06 from the WAN Provider activates it
        self.ota_handlers = ota_role.attach_if_able(self, receipts=False)

    def handlers(self):
        out = {CCS01: self.ccs01, CCS02: self.ccs02}
        out.update(self.ota_handlers)
        return out

    def check_options(self):
        local = self.via is not None  # delivered by an HHT
        return {"verify_signature": not self.defect("skip_krp_check"),
                "verify_mac": not (local and self.defect("skip_local_mac_check"))}

    # ------------------------------------------------------------------ the mains monitor
    def on_time(self, now_ms):
        """Judge an outage once after a power-on (its clock set), and keep the mains checkpoint."""
        GbcsRole.on_time(self, now_ms)
        last = self.state["mains_ms"]
        if self.restored:
            self.restored = False
            if last is not None and (now_ms - last >= OUTAGE_QUALIFY_MS or self.defect("ad1_on_reboot")):
                self.report_outage(last, now_ms)
        if last is None or now_ms - last >= CHECKPOINT_MS or now_ms < last:
            self.state["mains_ms"] = now_ms
            self.save()

    def report_outage(self, lost_ms, restored_ms):
        """The outage report to the DCC [I]: GNCA {POWER_OUTAGE, restoration time, outage start}."""
        if self.gbcs is None:
            return
        body = (dlms.STRUCTURE, [(0x12, POWER_OUTAGE), (dlms.OCTET_STRING, cosem.date_time(restored_ms)),
                                 (dlms.OCTET_STRING, cosem.date_time(lost_ms))])
        content = dlms.build_data_notification(dlms.invoke_id(self.gbcs.alert_counter + 1), body)
        self.send_alert(self.gbcs.acb, GNCA, content)

    # ------------------------------------------------------------------ the inter-PAN window
    def interpan_allowed(self, params):
        """Whether an HHT may talk inter-PAN now: within the window after this power-on."""
        window = self.hal.config.get("interpan_window_s", INTERPAN_WINDOW_S)
        power_on = self.hal.power_on_ms
        if self.defect("interpan_window_not_restarted") and power_on is not None:
            if self.state["first_power_on_ms"] is None:
                self.state["first_power_on_ms"] = power_on
                self.save()
            power_on = self.state["first_power_on_ms"]
        now = self.hal.clock.now_ms()
        allowed = power_on is not None and now - power_on <= window * 1000
        if self.defect("interpan_window_ignored"):
            allowed = True
        elif self.defect("interpan_never_open"):
            allowed = False
        return {"allowed": allowed, "power_on_ms": power_on, "now_ms": now, "window_s": window}

    # ------------------------------------------------------------------ the WAN side
    def uplink(self, alert):
        """Alerts go up at once while the WAN is up; otherwise they wait on flash for it to return."""
        if self.state["wan_up"]:
            self.hal.emit("alert", alert)
        elif not self.defect("no_wan_buffer"):
            self.hold("alert", alert)

    def hold(self, event, data):
        """Keep what would have gone up the WAN as `event` until the WAN returns (BAD 7.2.2.6.3 i)."""
        self.state["outbox"].append([event, data])
        self.save()

    def wan_device(self, params):
        """A HAN device's (or the GPF's) response or alert for the WAN, from the host half: {"sent": true} when the
        WAN is up and the host half may pass it on now; otherwise held here and later flushed as a `device` event."""
        data = param(params, "hex", str)
        if self.state["wan_up"]:
            return {"sent": True}
        if not self.defect("drops_device_alerts_without_wan"):
            self.hold("device", {"hex": data})
        return {"sent": False}

    def wan_set(self, params):
        """Take the WAN down or bring it back; coming back flushes the held alerts and device messages in order."""
        self.state["wan_up"] = param(params, "up", bool)
        flushed = 0
        if self.state["wan_up"]:
            for event, data in self.state["outbox"]:
                self.hal.emit(event, data)
                flushed += 1
            self.state["outbox"] = []
        self.save()
        return {"wan_up": self.state["wan_up"], "flushed": flushed}

    # ------------------------------------------------------------------ the log
    def find(self, eui_hex):
        for entry in self.state["log"]:
            if entry["eui"] == eui_hex:
                return entry
        return None

    def devlog_get(self, params):
        return {"log": self.state["log"], "capacity": self.capacity()}

    def devlog_joined(self, params):
        """The host half reports a completed join (network key delivered and CBKE done)."""
        entry = self.find(param(params, "eui", str).upper())
        if entry is None:
            raise MethodError("not_in_log", "device is not in the CHF Device Log")
        entry["joined"] = True
        self.save()
        if self.defect("no_join_cs14"):
            return {"alert": None}
        return {"alert": _hex(self.alert_log_changed())}

    def relay_check(self, params):
        """May a command for this device be relayed over the HAN? Only to a device in the Device Log; each decision
        is logged (HAN command acted on / not acted on, with its message code). {"relay": bool, "type": int}."""
        eui = param(params, "eui", str).upper()
        entry = self.find(eui)
        relay = entry is not None
        self.state["relayed"].append([self.hal.clock.now_ms(), eui, param(params, "code", int), relay])
        del self.state["relayed"][:-RELAY_LOG_LIMIT]
        self.save()
        return {"relay": relay, "type": entry["type"] if entry is not None else None}

    # ------------------------------------------------------------------ CCS01 / CCS02
    def ccs01(self, msg):
        """Register a device: action register_device {EUI, type, install code, ...}, set join timeout,
        set enable joining. Results per specification; CS14 and a `devlog.added` event on success."""
        req = dlms.parse_access_request(msg.content)
        self.check_hht_first(req)
        results = []
        added = None
        timeout = None
        for spec, data in zip(req.specs, req.data):
            kind, cls, obis, attr = spec[0], spec[1], spec[2], spec[3]
            code = OTHER_REASON
            if cls == ZIGBEE_NETWORK_CONTROL and obis == OBIS_HAN:
                if kind == dlms.ACTION and attr == REGISTER_DEVICE:
                    added, code = self.register(data)
                elif kind == dlms.SET and attr == ATTR_JOIN_TIMEOUT and data[0] == 0x12:
                    timeout, code = data[1], SUCCESS
                elif kind == dlms.SET and attr == ATTR_ENABLE_JOINING and data[0] == dlms.BOOLEAN:
                    code = SUCCESS
            results.append((kind, code))
        if timeout is not None:
            self.state["join_timeout"] = timeout
        period_ms = self.join_period_ms(added) if added is not None else 0
        self.save()
        if added is not None:
            self.alert_log_changed()
            self.hal.emit("devlog.added", {"eui": added["eui"], "ic": added["ic"],
                                           "join_timeout": period_ms / 1000})
        return dlms.build_access_response(dlms.invoke_id(msg.counter), [(dlms.NULL, None)] * len(results),
                                          results)

    def check_hht_first(self, req):
        """A command an HHT delivers locally is accepted only once the HHT itself is in the log: its first command
        must be the CCS01 that adds it (BAD 7.2.2.6.3 d)."""
        if self.via is None or self.find(self.via.upper()) is not None or self.defect("hht_order_unchecked"):
            return
        for spec, data in zip(req.specs, req.data):
            if spec[0] == dlms.ACTION and spec[3] == REGISTER_DEVICE and data[0] == dlms.STRUCTURE and data[1] \
                    and _hex(bytes(data[1][0][1])) == self.via.upper():
                return
        raise Refused("hht_not_whitelisted", "the HHT %s must first add itself to the log" % self.via)

    def register(self, data):
        """(entry, result code) for a register_device argument."""
        tag, value = data
        if tag != dlms.STRUCTURE or len(value) < 3 or value[0][0] != dlms.OCTET_STRING \
                or len(value[0][1]) != 8 or value[2][0] != dlms.OCTET_STRING:
            return None, OTHER_REASON
        ic = bytes(value[2][1])
        if len(ic) not in (6, 8, 12, 16):
            return None, OTHER_REASON
        eui = _hex(bytes(value[0][1]))
        entry = self.find(eui)
        if entry is None:
            if len(self.state["log"]) >= self.capacity():
                if not self.defect("evict_when_full"):
                    return None, TEMPORARY_FAILURE
                self.state["log"].pop(0)
            entry = {"eui": eui}
            self.state["log"].append(entry)
        entry["type"] = value[1][1] if value[1][0] == dlms.ENUM else 0
        entry["ic"] = _hex(ic)
        entry["joined"] = False
        return entry, SUCCESS

    def ccs02(self, msg):
        """Unregister a device: action unregister_device with its EUI; CS14 and `devlog.removed` on success."""
        req = dlms.parse_access_request(msg.content)
        self.check_hht_first(req)
        results = []
        removed = []
        for spec, data in zip(req.specs, req.data):
            code = OTHER_REASON
            if spec[0] == dlms.ACTION and spec[1] == ZIGBEE_NETWORK_CONTROL and spec[3] == UNREGISTER_DEVICE \
                    and data[0] == dlms.OCTET_STRING and len(data[1]) == 8:
                entry = self.find(_hex(bytes(data[1])))
                if entry is not None:
                    self.state["log"].remove(entry)
                    removed.append(entry["eui"])
                code = SUCCESS
            results.append((spec[0], code))
        self.save()
        if removed:
            self.alert_log_changed()
            for eui in removed:
                self.hal.emit("devlog.removed", {"eui": eui})
        return dlms.build_access_response(dlms.invoke_id(msg.counter), [(dlms.NULL, None)] * len(results),
                                          results)

    # ------------------------------------------------------------------ CCS08
    def ota_transferred(self, params):
        """The host half's OTA server saw a device end a download (UpgradeEndRequest): CCS08 to the DCC."""
        from firmware import ota_gbcs

        device = binascii.unhexlify(param(params, "eui", str))
        code = param(params, "response_code", int)
        payload = ota_gbcs.ccs08(self.hal.clock.now_ms(), device, param(params, "file_version", int), code)
        return {"alert": _hex(self.send_alert(self.gbcs.acb, ota_gbcs.CCS08, payload, critical=True))}

    # ------------------------------------------------------------------ CS14
    def alert_log_changed(self):
        """CS14 (0x8F12) to the ACB: alert code, time, and the whole log {EUI, install code} per entry."""
        now = cosem.date_time(self.hal.clock.now_ms())
        entries = [(dlms.STRUCTURE, [(dlms.OCTET_STRING, binascii.unhexlify(e["eui"])),
                                     (dlms.OCTET_STRING, binascii.unhexlify(e["ic"]))])
                   for e in self.state["log"]]
        body = (dlms.STRUCTURE, [(0x12, ALERT_LOG_CHANGED), (dlms.OCTET_STRING, now),
                                 (dlms.STRUCTURE, [(dlms.OCTET_STRING, now),
                                                   (dlms.OCTET_STRING, self.gbcs.eui),
                                                   (dlms.ARRAY, entries)])])
        counter = self.gbcs.alert_counter + 1
        content = dlms.build_data_notification(dlms.invoke_id(counter), body)
        if self.defect("malformed_cs14"):
            content = content[:-3]  # the log's last entry cut short: the payload no longer decodes
        return self.send_alert(self.gbcs.acb, CS14, content)


ROLE = Chf
