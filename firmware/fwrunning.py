# Which firmware image a board runs, read at boot from the firmware store's metadata without loading the store
# itself (firmware/fwstore.py, loaded only when a download or activation needs it: heap is scarce on a board).
# Runs under MicroPython and CPython.
import os

META = "fwstore"
BASE_FILE_VERSION = 0x00000100  # the file version (CPL firmware version) of the firmware deployed by wire
KEYS = ("running", "download", "held", "pending", "installing")


def slot_path(root, slot):
    return "%s/fw/slot%d.bin" % (root.rstrip("/"), slot)


def size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return 0


def load(flash, root):
    """The store's metadata; a running image whose slot is gone or torn is dropped (the wired firmware runs), unless
    it was being written in place over the only bank (a defect): then nothing valid is left and it is marked broken."""
    meta = flash.load(META, {})
    if not isinstance(meta, dict):
        meta = {}
    for key in KEYS:
        if not isinstance(meta.get(key), dict):
            meta[key] = None
    running = meta["running"]
    if running is not None and size(slot_path(root, running.get("slot", 0))) != running.get("total"):
        meta["running"] = dict(running, broken=True) if running.get("in_place") else None
    return meta


def running(meta, base_version):
    """The running image's record: the activated image's, or the wired firmware's."""
    return meta["running"] or {"slot": None, "version": base_version, "file_version": BASE_FILE_VERSION,
                               "defects": []}
