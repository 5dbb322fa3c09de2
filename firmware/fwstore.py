# The board's firmware store: two image slots on flash and one metadata document that says which image runs,
# which is being downloaded (and to which slot), which is held (checked, waiting for CS06) and which activation
# is pending. Power may fail at any point:
#  - a download only ever writes the slot that is not running, and its offset is the slot file's length, so a
#    download resumes (or restarts) after power returns and the running image is never touched;
#  - activation is one atomic metadata write (Flash.save writes a temporary file, then renames it), so after a power
#    loss the board runs either the old image or the new one, never a torn mix.
# Runs under MicroPython and CPython.
import os

from firmware.fwrunning import KEYS, META, load, running, size, slot_path

SLOTS = 2


class FirmwareStore:
    """`flash` is the HAL's Flash (metadata); slot files live in `<root>/fw/`. `base_version` is the version string
    of the firmware deployed by wire (reported while no OTA image has been activated)."""

    def __init__(self, flash, root, base_version, meta=None):
        self.flash = flash
        self.root = root
        self.base_version = base_version
        try:
            os.mkdir(root.rstrip("/") + "/fw")
        except OSError:
            pass  # already there
        self.meta = meta if meta is not None else load(flash, root)

    def slot_path(self, slot):
        return slot_path(self.root, slot)

    def save(self):
        self.flash.save(META, self.meta)

    def running(self):
        return running(self.meta, self.base_version)

    def free_slot(self):
        running = self.meta["running"]
        return 1 if running is not None and running["slot"] == 0 else 0

    def reset(self):
        """Back to the wired firmware with nothing downloaded, held or pending (the emulator's reset)."""
        for slot in range(SLOTS):
            try:
                os.remove(self.slot_path(slot))
            except OSError:
                pass  # already absent
        for key in KEYS:
            self.meta[key] = None  # in place: the app reads the same record
        self.save()

    # ---- download ---------------------------------------------------------------------------------------
    def begin(self, expect, in_place=False):
        """Start or resume the download of the image `expect` ({manufacturer, image_type, file_version, total});
        returns the offset to continue from (0 for a new download). `in_place` (a defect: one bank only) writes
        it over the running image's slot."""
        current = self.meta["download"]
        if current is not None and current["expect"] == expect:
            return self.offset()
        slot = 1 - self.free_slot() if in_place else self.free_slot()
        held = self.meta["held"]
        if held is not None and held["slot"] == slot:
            self.meta["held"] = None  # the slot is reused: a new download replaces the held image
        self.meta["download"] = {"slot": slot, "expect": expect}
        self.save()
        open(self.slot_path(slot), "wb").close()
        return 0

    def offset(self):
        current = self.meta["download"]
        return 0 if current is None else size(self.slot_path(current["slot"]))

    def write(self, offset, data):
        """Append `data` at `offset` when that is where the slot file ends; returns the slot's length either way
        (a repeated or out-of-order block is not written; the client asks again from the returned offset)."""
        current = self.meta["download"]
        if current is None:
            raise ValueError("no download in progress")
        path = self.slot_path(current["slot"])
        end = size(path)
        if offset != end or end + len(data) > current["expect"]["total"]:
            return end
        f = open(path, "ab")
        try:
            f.write(data)
        finally:
            f.close()
        return end + len(data)

    def complete(self):
        """(slot path, expect) of a download that has all its octets, or None."""
        current = self.meta["download"]
        if current is None or self.offset() != current["expect"]["total"]:
            return None
        return self.slot_path(current["slot"]), current["expect"]

    def hold(self, checked):
        """The finished download passed its checks: it becomes the held image (`checked`: what the check found)."""
        current = self.meta["download"]
        self.meta["held"] = dict(checked, slot=current["slot"])
        self.meta["download"] = None
        self.save()

    def discard(self):
        """The finished download failed its checks: nothing is held from it and its slot is emptied."""
        current = self.meta["download"]
        if current is None:
            return
        self.meta["download"] = None
        self.save()
        try:
            os.remove(self.slot_path(current["slot"]))
        except OSError:
            pass  # already gone

    # ---- activation -------------------------------------------------------------------------------------
    def activate_held(self):
        """The held image becomes the running one (one atomic write); returns it."""
        held = self.meta["held"]
        self.meta["running"] = held
        self.meta["held"] = None
        self.meta["pending"] = None
        self.save()
        return held

    def start_in_place(self, now_ms, pending=None):
        """(The `overwrite_on_activation` defect: one bank.) The held image starts being copied over the bank the
        device runs from, which from now on holds the running image, half written until `copy_step` finishes."""
        held = self.meta["held"]
        bank = 1 - held["slot"]
        self.meta["running"] = dict(held, slot=bank, in_place=True)
        self.meta["installing"] = {"source": held["slot"], "since": now_ms, "pending": pending}
        self.meta["held"] = None
        self.save()
        open(self.slot_path(bank), "wb").close()

    def copy_step(self, upto):
        """Copy the in-place install on to octet `upto` of the image; True once all of it is written."""
        job, running = self.meta["installing"], self.meta["running"]
        target = self.slot_path(running["slot"])
        done = size(target)
        upto = min(upto, running["total"])
        if upto > done:
            f = open(self.slot_path(job["source"]), "rb")
            try:
                f.seek(done)
                data = f.read(upto - done)
            finally:
                f.close()
            f = open(target, "ab")
            try:
                f.write(data)
            finally:
                f.close()
        if upto < running["total"]:
            return False
        self.meta["installing"] = None
        self.save()
        return True

    def set_pending(self, pending, persist=True):
        """Record (or clear) the pending future-dated activation; `persist=False` (a defect) keeps it in RAM only."""
        self.meta["pending"] = pending
        if persist:
            self.save()
