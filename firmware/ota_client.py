# A device's OTA firmware client on its board: takes the image blocks its host half downloads over the HAN (ZCL OTA
# cluster) into a free flash slot, checks the finished image with the board's own crypto (manufacturer, image type,
# hardware range, the manufacturer's signature, the Manufacturer Image Hash), reports the Firmware Distribution
# Receipt outcome (0x8F72 / 0x8F1C), and activates the held image only through `activate`, which the role's CS06
# handler calls after its own GBCS checks (signature, MAC, counter): now, or at a future execution time (cancelled
# by re-dating to 9999-12-31; voided by a change of supplier).
#
# Configuration (/config.json "ota"): manufacturer, image_type, hardware (ints), signer (8-octet hex),
# signer_public (65-octet hex point of the manufacturer's image-signing key).
# Link methods: ota.status, ota.begin, ota.block, ota.end, ota.upgrade_end. Events: ota.receipt, ota.activated.
# Runs under MicroPython and CPython.
import binascii

from firmware.link import MethodError, param

FDRA_SUCCESS, FDRA_FAILURE = 0x8F72, 0x8F1C
ACTIVATION_SUCCESS_ALERT, ACTIVATION_FAILURE_ALERT = 0x8F66, 0x8F67
SUCCESS, NO_IMAGE_HELD, HASH_MISMATCH, ACTIVATION_FAILURE = 0, 1, 2, 3
UPGRADE_LATER = 0xFFFFFFFF  # UpgradeEndResponse upgrade time: wait for another UpgradeEndResponse
CANCEL_MS = 253402214400000  # 9999-12-31T00:00:00Z: a CS06 re-dated to this never runs (it cancels)
IN_PLACE_RATE = 1024  # octets per second the `overwrite_on_activation` defect writes over its only bank
DEFECTS = {
    "activate_on_upgrade_end": "activates a downloaded image when the server's UpgradeEndResponse says "
                               "\"upgrade now\", without a CS06",
    "skip_image_signature": "holds an image whose manufacturer's signature does not verify",
    "skip_cs06_hash": "activates the held image without comparing its hash with the CS06's",
    "future_dated_survives_cos": "keeps a pending future-dated activation across a change of supplier",
    "future_dated_runs_now": "runs a future-dated CS06 at once instead of at its execution time",
    "no_distribution_receipt": "sends no Firmware Distribution Receipt alert after checking a downloaded image",
    "single_image_slot": "downloads a new image over the running one (one bank): a power cut mid-download leaves "
                         "no valid activated image",
    "pending_activation_in_ram": "keeps a stored future-dated activation in RAM only: a power cut before its "
                                 "execution time loses it (no activation, no 0x00CA)",
    "overwrite_on_activation": "activates by copying the new image over the running one (one bank, no valid "
                               "fallback) at 1 kB/s: a power cut mid-activation leaves a torn image that does not run",
}


def _hex(data):
    return binascii.hexlify(data).decode().upper()


class OtaClient:
    """The OTA side of one device: `store` is its FirmwareStore; events go out through `hal.emit`; `defects` is
    the bench's list."""

    def __init__(self, hal, config, store, defects=()):
        self.hal = hal
        self.emit = hal.emit
        self.config = config if isinstance(config, dict) else None
        self.defects = defects or ()
        self.store = store
        # Set by the device's GBCS role (firmware/ota_role.py) to send the receipt and 0x00CA alerts:
        self.on_receipt = None   # fn(receipt dict)
        self.on_executed = None  # fn(outcome, pending dict)
        self.on_activated = None  # fn(): the board restarts into the activated image (set by the app)

    def methods(self):
        return {"ota.status": self.status, "ota.begin": self.begin, "ota.block": self.block, "ota.end": self.end,
                "ota.upgrade_end": self.upgrade_end}

    def _own(self):
        if self.config is None:
            raise MethodError("unconfigured", "no OTA configuration in /config.json")
        return self.config

    # ---- what the device reports ------------------------------------------------------------------------
    def version(self):
        """The version string of the running firmware (the wired firmware's until an image is activated)."""
        return self.store.running()["version"]

    def file_version(self):
        return self.store.running()["file_version"]

    def running_defects(self):
        """Defects a (deliberately faulty) running image plays, as its manifest declared."""
        return self.store.running().get("defects") or []

    def status(self, params):
        own = self.config or {}
        return {"running": self.store.running(), "held": self.store.meta["held"],
                "download": self.store.meta["download"], "offset": self.store.offset(),
                "pending": self.store.meta["pending"], "manufacturer": own.get("manufacturer"),
                "image_type": own.get("image_type"), "hardware": own.get("hardware")}

    # ---- distribution -----------------------------------------------------------------------------------
    def begin(self, params):
        """The server offers an image (QueryNextImageResponse): start or resume its download into a free slot."""
        own = self._own()
        expect = {"manufacturer": param(params, "manufacturer", int), "image_type": param(params, "image_type", int),
                  "file_version": param(params, "file_version", int), "total": param(params, "total", int)}
        if expect["manufacturer"] != own["manufacturer"] or expect["image_type"] != own["image_type"]:
            raise MethodError("not_for_us", "the offered image is for another manufacturer or model")
        if not 0 < expect["total"] <= own.get("max_image", 1 << 20):
            raise MethodError("too_large", "image of %d octets" % expect["total"])
        return {"offset": self.store.begin(expect, in_place="single_image_slot" in self.defects)}

    def block(self, params):
        """One ImageBlockResponse's data at `offset`; returns the offset to request next."""
        offset = param(params, "offset", int)
        try:
            data = binascii.unhexlify(param(params, "hex", str))
        except ValueError:
            raise MethodError("bad_params", "parameter 'hex' is not hex")
        try:
            return {"offset": self.store.write(offset, data)}
        except ValueError as e:
            raise MethodError("no_download", str(e))

    def end(self, params):
        """All octets are in: check the image. Held on success (0x8F72), discarded on failure (0x8F1C); the
        receipt is returned and emitted as an `ota.receipt` event with the Calculated Manufacturer Hash."""
        from firmware import ota_image  # loaded when needed: P-256 code costs heap on a small board

        own = self._own()
        done = self.store.complete()
        if done is None:
            raise MethodError("incomplete", "the download is not complete")
        path, expect = done
        try:
            checked = ota_image.check(path, {"manufacturer": own["manufacturer"], "image_type": own["image_type"],
                                             "hardware": own.get("hardware"),
                                             "signer": binascii.unhexlify(own["signer"])},
                                      binascii.unhexlify(own["signer_public"]),
                                      skip_signature="skip_image_signature" in self.defects)
            head = checked["header"]
            if (head["manufacturer"], head["image_type"], head["file_version"], head["total"]) != \
                    (expect["manufacturer"], expect["image_type"], expect["file_version"], expect["total"]):
                raise ota_image.ImageInvalid("mismatch", "the image is not the one the server offered")
        except ota_image.ImageInvalid as e:
            self.store.discard()
            receipt = {"ok": False, "alert": FDRA_FAILURE, "reason": e.reason, "detail": e.detail,
                       "hash": None, "file_version": expect["file_version"]}
            self.hal.log("OTA image refused: %s" % e)
        else:
            found = checked["manifest"] or {}
            self.store.hold({"file_version": head["file_version"], "total": head["total"],
                             "hash": _hex(checked["hash"]), "offset": checked["offset"], "size": checked["size"],
                             "version": found.get("version") or "ota-%08X" % head["file_version"],
                             "defects": found.get("defects") or []})
            receipt = {"ok": True, "alert": FDRA_SUCCESS, "reason": None, "detail": "",
                       "hash": _hex(checked["hash"]), "file_version": head["file_version"]}
        self.emit("ota.receipt", receipt)
        if self.on_receipt is not None and "no_distribution_receipt" not in self.defects:
            self.on_receipt(receipt)
        return receipt

    def upgrade_end(self, params):
        """The server's UpgradeEndResponse. GB devices activate only by CS06 (BAD 7.5.3.6.3): nothing happens, even
        when it says "upgrade now" (any upgrade time but 0xFFFFFFFF)."""
        told = param(params, "upgrade_time", int) != UPGRADE_LATER
        if told and "activate_on_upgrade_end" in self.defects and self.store.meta["held"] is not None:
            return {"activated": self._commit()}
        return {"activated": None}

    # ---- activation (called by the role's CS06 handler after its GBCS checks) ----------------------------
    def activate(self, image_hash, execution_ms=None, counter=0, originator=None):
        """CS06: ("stored", None) for a future-dated activation (kept, or cancelled when re-dated to 9999-12-31),
        else (outcome, firmware file version after it): 0 success, 1 no image held, 2 hash mismatch."""
        now = self.hal.clock.now_ms()
        if "future_dated_runs_now" in self.defects:
            execution_ms = None
        if execution_ms is not None and execution_ms > now:
            pending = None if execution_ms >= CANCEL_MS else \
                {"hash": _hex(image_hash), "at": execution_ms, "counter": counter,
                 "originator": _hex(originator) if originator else None}
            self.store.set_pending(pending, persist="pending_activation_in_ram" not in self.defects)
            return "stored", None
        outcome = self._run(image_hash)
        return (SUCCESS if outcome is None else outcome), self.file_version()

    def _run(self, image_hash, pending=None):
        """Activate the held image if its hash is `image_hash`: the outcome, or None while a defective in-place
        activation is still writing it (`pending`: the future-dated CS06 it runs, reported when it is done)."""
        held = self.store.meta["held"]
        if held is None:
            return NO_IMAGE_HELD
        if "skip_cs06_hash" not in self.defects:
            from firmware import ota_image

            computed = ota_image.image_hash(self.store.slot_path(held["slot"]), held["offset"], held["size"])
            if computed != bytes(image_hash):
                return HASH_MISMATCH
        if "overwrite_on_activation" in self.defects:
            self.store.start_in_place(self.hal.clock.now_ms(), pending)
            return None
        self._commit()
        return SUCCESS

    def _commit(self):
        running = self.store.activate_held()
        self.emit("ota.activated", {"version": running["version"], "file_version": running["file_version"]})
        if self.on_activated is not None:
            self.on_activated()
        return running["version"]

    def on_time(self, now_ms):
        """Run a pending future-dated activation once its time has come (or carry on an in-place one); returns
        (outcome, pending) once one has run, else None. The caller sends alert 0x00CA with 0x8F66 or 0x8F67."""
        job = self.store.meta["installing"]
        if job is not None:
            if not self.store.copy_step((now_ms - job["since"]) * IN_PLACE_RATE // 1000):
                return None
            running = self.store.running()
            self.emit("ota.activated", {"version": running["version"], "file_version": running["file_version"]})
            return None if job["pending"] is None else self._executed(SUCCESS, job["pending"])
        pending = self.store.meta["pending"]
        if pending is None or now_ms < pending["at"]:
            return None
        self.store.set_pending(None)
        outcome = self._run(binascii.unhexlify(pending["hash"]), pending)
        return None if outcome is None else self._executed(outcome, pending)

    def _executed(self, outcome, pending):
        self.emit("ota.executed", {"outcome": outcome, "at": pending["at"], "counter": pending["counter"],
                                   "alert": ACTIVATION_SUCCESS_ALERT if outcome == SUCCESS
                                   else ACTIVATION_FAILURE_ALERT})
        if self.on_executed is not None:
            self.on_executed(outcome, pending)
        return outcome, pending

    def change_of_supplier(self):
        """A change of supplier voids a pending future-dated activation (BAD 7.7.1.5.4)."""
        if "future_dated_survives_cos" not in self.defects:
            self.store.set_pending(None)
