# A HAN device that takes GBCS commands relayed by its CHF (ESME, GSME, GPF, PPMID): every command is checked on
# this board with its own crypto and trust anchor cells (GbcsRole), then run; the device keeps its Device Log
# (application-level joins CS03A1/A2/B/C, unjoins CS04AC/CS04B, BAD 7.2.1.6.12) and its event and security logs
# on flash. A refused command gets no response (GBCS: the command is discarded) and a security-log entry.
#
# Join payload (RTDS 8.7.2): SEQUENCE {INTEGER joinMethodAndRole, OCTET STRING otherDeviceId(8), INTEGER
# otherDeviceType, [certificate]}; unjoin (8.8.1): OCTET STRING otherDeviceId. Responses: INTEGER status
# (0 success; RTDS errors 1 = not in log, 2 = log full / refused, 11 = other) [I: status meanings from RTDS].
import binascii

from firmware.gbcs.errors import ParseError
from firmware.link import MethodError, param
from firmware.roles.gbcs_role import GbcsRole, Refused

CS03A1, CS03A2, CS03B, CS03C = 0x000D, 0x00AB, 0x000E, 0x00AF
CS04AC, CS04B = 0x000F, 0x0010
JOINS = (CS03A1, CS03A2, CS03B, CS03C)
UNJOINS = (CS04AC, CS04B)
JOIN_OK, NOT_IN_LOG, LOG_FULL = 0, 1, 2
DEVICE_LOG_CAPACITY = 5
LOG_LIMIT = 20  # entries kept in each of the event and security logs (oldest dropped first)
P256_SPKI_POINT = b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07\x03\x42\x00\x04"
GNCA = 0x1001                    # Generic Non Critical Alert (RTDS NA_GNCA-DLMS / NA_GNCA-ZigBee layouts)
JOINED_HAN, COMMISSIONED = 0x8183, 0x8F69
ZIGBEE_EPOCH_MS = 946684800000   # GBZ alert times count seconds from 2000-01-01
EVENT_COMMAND_EXECUTED = 0x0054  # [R] HAN command acted on
EVENT_COMMAND_REFUSED = 0x0055   # [R] HAN command not acted on
# The supplier trust anchor cells (BAD Table 11 cells 3 and 4: Supplier digitalSignature and keyAgreement, on the
# devices whose "gbcs" config names a supplier) start with the configured supplier's keys; the procuring party
# (AC 3.1), or the DCC in recovery, loads them again with "cells.load" {"cell", "eui", "key_usage", "public"}. A
# certificate whose keyUsage is not the cell's is refused (AC 3.2(b)). [I] The loading tool hands the board the
# certificate's subject EUI, keyUsage and public key (boards parse no X.509). Loaded cells persist on flash.
# A change of supplier replaces them by CS02b from the Transitional CoS party (firmware/roles/credentials.py: the
# board reads the certificates the command carries and validates them under its Root trust anchor, "gbcs" config
# "root"; the TransCoS party is "transitional_cos"); then the role's `cos_hooks` run (e.g. the OTA client voids a
# pending future-dated activation, BAD 7.7.1.5.4).
SUPPLIER_CELLS = {"supplier_ds": ("digitalSignature", "ds"), "supplier_ka": ("keyAgreement", "ka")}
# Defects of a device's GBCS board half (defect injection); each breaks one rule the security suites check.
DEFECTS = {
    "skip_krp_check": "runs a critical command without verifying its KRP signature",
    "no_anti_replay": "runs a command whose counter is not above the last one accepted",
    "execute_before_verify": "runs the command before checking it (a refused command still takes effect)",
    "unsigned_response": "answers a critical command with a MAC'd response instead of a signed one",
}
METER_DEFECTS = {"no_join_alerts": "raises neither 0x8183 nor 0x8F69 when it has joined the HAN"}
ESME_DEFECTS = {"mpxn_not_stored": "answers an MPAN set (ECS39a) with success without storing the MPAN",
                "adjust_clock_beyond_10s": "adjusts its clock at its daily synchronisation whatever the difference, "
                                           "raising no 0x8F0C",
                "set_clock_without_ch_time": "sets its clock by SRV 6.11 (ECS70) even when its CH has no valid time",
                "accept_any_key_usage": "loads a certificate into a supplier trust anchor cell whatever its keyUsage",
                "join_alerts_with_dcc_certs": "raises 0x8F69 on joining even when its supplier cells hold only the "
                                              "DCC's certificates",
                "han_device_log_unchecked": "acts on a PPMID's ZSE top-up even when the PPMID is not in its Device Log"}
GPF_DEFECTS = {"no_gcs62": "raises no GCS62 backup of its Device Log after a change",
               "stale_mirror": "keeps the GSME's mirror as first filled, ignoring the GSME's later updates, and "
                               "answers gas reads (GCS13a) from it"}


def _hex(data):
    return binascii.hexlify(data).decode().upper()


def ka_of_certificate(body):
    """The uncompressed P-256 public key in a DER certificate's body, or None (see the header's [I])."""
    at = bytes(body).find(P256_SPKI_POINT)
    if at < 0 or len(body) < at + len(P256_SPKI_POINT) + 64:
        return None
    start = at + len(P256_SPKI_POINT) - 1
    return bytes(body[start:start + 65])


class DeviceGbcs(GbcsRole):
    """GbcsRole plus the device log, event/security logs and the defects of a HAN device's board half."""

    join_alerts = ()  # alert codes raised once joined to the HAN (meters: BAD 7.2.1.6.7)

    def defaults(self):
        state = GbcsRole.defaults(self)
        state["devlog"] = []    # {"eui": hex, "type": int}
        state["events"] = []    # [ms, code, message code, originator hex]
        state["security"] = []  # [ms, reason, message code, originator hex]
        state["cells"] = {}     # supplier cell -> [EUI hex, public key hex], once loaded
        return state

    def setup(self):
        """The trust anchors from the config, with the supplier cells as last loaded."""
        GbcsRole.setup(self)
        self.cos_hooks = []  # fn() run after a change of supplier replaced the supplier cells
        if self.gbcs is None:
            return
        from firmware.gbcs import device

        configured = self.configured_supplier()
        if configured is not None and self.transitional_cos() is not None:
            from firmware.roles import credentials

            self.gbcs.critical_codes.add(credentials.CS02B_COS)
        for cell, loaded in self.state["cells"].items():
            eui_hex, public_hex = loaded[0], loaded[1]
            attr = SUPPLIER_CELLS[cell][1]
            if configured is not None and configured in self.gbcs.parties:
                setattr(self.gbcs.parties[configured], attr, None)  # the cell held the configured supplier's key
            eui = binascii.unhexlify(eui_hex)
            party = self.gbcs.parties.get(eui)
            if party is None:
                party = self.gbcs.parties[eui] = device.Party()
            setattr(party, attr, binascii.unhexlify(public_hex))
        for entry in self.state["devlog"]:
            self._learn_peer(entry)

    def _learn_peer(self, entry):
        """The joined device's KA key (from its join's certificate) as a trust anchor for HAN-only commands."""
        if self.gbcs is None or not entry.get("ka"):
            return
        from firmware.gbcs import device

        eui = binascii.unhexlify(entry["eui"])
        party = self.gbcs.parties.get(eui)
        if party is None:
            party = self.gbcs.parties[eui] = device.Party()
        party.ka = binascii.unhexlify(entry["ka"])
        self.gbcs.forget(eui)

    def _forget_peer(self, entry):
        if self.gbcs is None or not entry.get("ka"):
            return
        eui = binascii.unhexlify(entry["eui"])
        party = self.gbcs.parties.get(eui)
        if party is not None and party.ds is None:
            del self.gbcs.parties[eui]
        self.gbcs.forget(eui)

    def configured_supplier(self):
        supplier = (self.hal.config.get("gbcs") or {}).get("supplier")
        return binascii.unhexlify(supplier) if supplier else None

    def transitional_cos(self):
        cos = (self.hal.config.get("gbcs") or {}).get("transitional_cos")
        return binascii.unhexlify(cos) if cos else None

    def supplier_cell_parties(self):
        """The EUIs (bytes) whose certificates the supplier cells hold (none on a device without those cells)."""
        configured = self.configured_supplier()
        if configured is None:
            return []
        out = []
        for cell in sorted(SUPPLIER_CELLS):
            loaded = self.state["cells"].get(cell)
            eui = binascii.unhexlify(loaded[0]) if loaded else configured
            if eui not in out:
                out.append(eui)
        return out

    def cells_load(self, params):
        """Load a certificate into a supplier trust anchor cell; refused unless its keyUsage is the cell's."""
        cell = param(params, "cell", str)
        if cell not in SUPPLIER_CELLS or self.configured_supplier() is None:
            raise MethodError("no_such_cell", "%s has no trust anchor cell %r it loads" % (self.name, cell))
        usage = param(params, "key_usage", str)
        if usage != SUPPLIER_CELLS[cell][0] and not self.defect("accept_any_key_usage"):
            raise MethodError("key_usage_mismatch", "cell %s takes keyUsage %s, not %s"
                              % (cell, SUPPLIER_CELLS[cell][0], usage))
        eui, public = param(params, "eui", str).upper(), param(params, "public", str).upper()
        try:
            if len(binascii.unhexlify(eui)) != 8 or len(binascii.unhexlify(public)) != 65:
                raise ValueError("sizes")
        except ValueError:
            raise MethodError("bad_params", "eui must be 8 octets and public a 65-octet point, in hex")
        self.state["cells"][cell] = [eui, public]
        self.save()
        self.setup()
        return {"loaded": cell}

    def handlers(self):
        out = {}
        for code in self.join_codes():
            out[code] = self.join
        for code in UNJOINS:
            out[code] = self.unjoin
        if self.configured_supplier() is not None and self.transitional_cos() is not None:
            from firmware.roles import credentials

            out[credentials.CS02B_COS] = self.change_of_supplier
        return out

    def change_of_supplier(self, msg):
        """CS02b supplierByTransCoS: replace the supplier cells with the gaining supplier's certificates (all or
        none), then run the change-of-supplier hooks; the response lists each cell's prior and new subject."""
        from firmware.roles import credentials

        if msg.originator != self.transitional_cos():
            raise Refused("not_transcos", "CS02b 0x0107 from %s" % binascii.hexlify(msg.originator).decode())
        command = credentials.parse(msg.content)
        root = (self.hal.config.get("gbcs") or {}).get("root")
        try:
            cells = credentials.validate(command, binascii.unhexlify(root) if root else None)
        except credentials.Invalid as e:
            raise Refused("credentials_" + e.reason, e.detail)
        configured = self.configured_supplier()
        outcomes = []
        for _, cell_der, _, usage, _ in command["replacements"]:
            name = credentials.CELLS[usage]
            prior = self.state["cells"].get(name)
            prior_eui = binascii.unhexlify(prior[0]) if prior else configured
            prior_ski = binascii.unhexlify(prior[2]) if prior and len(prior) > 2 else credentials.NO_SKI
            new = cells[name]
            outcomes.append((cell_der, prior_eui, prior_ski, new["eui"], new["ski"]))
            self.state["cells"][name] = [_hex(new["eui"]), _hex(new["public"]), _hex(new["ski"])]
        self.save()
        self.setup()
        for hook in self.cos_hooks:
            hook()
        return credentials.response(command, outcomes)

    def join_codes(self):
        """The CS03 use cases this device type accepts (subclasses narrow it)."""
        return JOINS

    def methods(self):
        out = GbcsRole.methods(self)
        out.update({"devlog.get": self.devlog_get, "han.joined": self.han_joined, "cells.load": self.cells_load})
        return out

    def han_joined(self, params):
        """The host half reports the device has joined the HAN (CBKE done): a meter whose supplier trust anchor
        cells hold a supplier's certificate (not only the DCC's) raises 0x8183 (joined) and 0x8F69 (commissioned)
        to that supplier as Generic Non Critical Alerts (BAD 7.2.1.6.7); with only DCC certificates there it stays
        silent (the optional 0x8183 is not sent either)."""
        if self.defect("no_join_alerts") or self.gbcs is None:
            return {"alerts": []}
        cells = self.supplier_cell_parties()
        suppliers = [eui for eui in cells if eui != self.gbcs.acb]
        if not suppliers and self.defect("join_alerts_with_dcc_certs"):
            suppliers = cells
        if not suppliers:
            return {"alerts": []}
        for code in self.join_alerts:
            self.send_alert(suppliers[0], GNCA, self.alert_content(code))
        return {"alerts": list(self.join_alerts)}

    def alert_content(self, code):
        """A non-critical alert's content: DLMS {alert code, time} (GBZ devices override)."""
        from firmware.gbcs import dlms
        from firmware.roles.set_clock import cosem_time

        invoke = dlms.invoke_id(self._need_gbcs().alert_counter + 1)
        body = (dlms.STRUCTURE, [(0x12, code), (dlms.OCTET_STRING, cosem_time(self.hal.clock.now_ms()))])
        return dlms.build_data_notification(invoke, body)

    def gbz_alert_content(self, code):
        """GBZ {alert code, time since 2000} with no components (the GSME's and PPMID's form)."""
        from firmware.gbcs import gbz

        seconds = (self.hal.clock.now_ms() - ZIGBEE_EPOCH_MS) // 1000
        return gbz.build(gbz.Gbz([], code, seconds))

    def devlog_get(self, params):
        return {"log": self.state["devlog"], "capacity": DEVICE_LOG_CAPACITY}

    # ------------------------------------------------------------------ checks (GbcsRole hooks)
    def check_options(self):
        return {"verify_signature": not self.defect("skip_krp_check"),
                "verify_peer_mac": not self.defect("pcs_mac_unchecked")}

    def sign_responses(self):
        return not self.defect("unsigned_response")

    def execute_first(self):
        return self.defect("execute_before_verify")

    def on_refused(self, code, originator, reason):
        self._append("security", [self.hal.clock.now_ms(), reason, code, originator])
        self._append("events", [self.hal.clock.now_ms(), EVENT_COMMAND_REFUSED, code, originator])

    def on_executed(self, code, originator):
        self._append("events", [self.hal.clock.now_ms(), EVENT_COMMAND_EXECUTED, code, originator])

    def _append(self, name, entry):
        log = self.state[name]
        log.append(entry)
        if len(log) > LOG_LIMIT:
            del log[0]
        self.save()

    # ------------------------------------------------------------------ the device log
    def find(self, eui_hex):
        for entry in self.state["devlog"]:
            if entry["eui"] == eui_hex:
                return entry
        return None

    def join(self, msg):
        """CS03x: add the other device to this device's log; INTEGER status."""
        from firmware.gbcs import der

        tag, body, end = der.read(msg.content)
        if tag != der.SEQUENCE or end != len(msg.content):
            raise ParseError("join command is not one SEQUENCE", "cs03", 0)
        items = der.elements(body)
        if len(items) < 3 or items[0][0] != der.INTEGER or items[1][0] != der.OCTET_STRING \
                or len(items[1][1]) != 8 or items[2][0] != der.INTEGER:
            raise ParseError("join command is not {INTEGER, OCTET STRING(8), INTEGER, ...}", "cs03", 0)
        eui = binascii.hexlify(items[1][1]).decode().upper()
        entry = self.find(eui)
        if entry is None:
            if len(self.state["devlog"]) >= DEVICE_LOG_CAPACITY:
                return der.integer(LOG_FULL)
            entry = {"eui": eui}
            self.state["devlog"].append(entry)
        entry["type"] = der.decode_integer(items[2][1])
        ka = ka_of_certificate(items[3][1]) if len(items) > 3 and items[3][0] == der.SEQUENCE else None
        if ka is not None:
            entry["ka"] = binascii.hexlify(ka).decode().upper()
            self._learn_peer(entry)
        self.save()
        self.devlog_changed()
        return der.integer(JOIN_OK)

    def unjoin(self, msg):
        """CS04AC / CS04B: remove the other device from this device's log; INTEGER status."""
        from firmware.gbcs import der

        tag, value, end = der.read(msg.content)
        if tag != der.OCTET_STRING or len(value) != 8 or end != len(msg.content):
            raise ParseError("unjoin command is not an OCTET STRING(8)", "cs04", 0)
        entry = self.find(binascii.hexlify(value).decode().upper())
        if entry is None:
            return der.integer(NOT_IN_LOG)
        self.state["devlog"].remove(entry)
        self._forget_peer(entry)
        self.save()
        self.devlog_changed()
        return der.integer(JOIN_OK)

    def devlog_changed(self):
        """Called after the device log changed (the GPF backs it up with GCS62)."""
