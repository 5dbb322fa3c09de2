# The board's own reader and checker of a GB OTA image held in a flash slot, streamed (never the whole image in
# RAM), with the board's own crypto. The byte layout, including what is inferred, is stated once in
# harness/ota/image.py (LAYOUT); this is the device-side implementation of that text, cross-checked against the
# host's builder in tests. Runs under MicroPython and CPython.
import hashlib
import json

from firmware.crypto import ecdsa
from firmware.crypto.errors import CryptoInputError

FILE_ID = 0x0BEEF11E
HEADER_VERSION = 0x0100
BASE_LENGTH = 56
MAX_HEADER = 69
TAG_UPGRADE_IMAGE = 0x0000
TAG_SIGNATURE = 0xF000
SIGNATURE_DATA = 72  # signer id (8) + r||s (64)
CHUNK = 512
MAGIC = b"RIGFW1"  # an emulated board's Manufacturer Image starts with this and a JSON manifest line


class ImageInvalid(Exception):
    """The image fails a check; `reason` is one of: malformed, manufacturer, image_type, hardware, signer,
    signature, size, mismatch."""

    def __init__(self, reason, detail=""):
        super().__init__(reason + (": " + detail if detail else ""))
        self.reason = reason
        self.detail = detail


def _u(buf, off, n):
    return int.from_bytes(bytes(buf[off:off + n]), "little")


def parse_header(buf):
    """The header fields of an OTA file starting with `buf` (a dict); ImageInvalid('malformed') if it is not one."""
    if len(buf) < BASE_LENGTH:
        raise ImageInvalid("malformed", "header truncated")
    if _u(buf, 0, 4) != FILE_ID or _u(buf, 4, 2) != HEADER_VERSION:
        raise ImageInvalid("malformed", "not an OTA file")
    length, fc = _u(buf, 6, 2), _u(buf, 8, 2)
    if fc & ~7:
        raise ImageInvalid("malformed", "reserved field control bits")
    off = BASE_LENGTH + (1 if fc & 1 else 0) + (8 if fc & 2 else 0)
    if length != off + (4 if fc & 4 else 0) or len(buf) < length:
        raise ImageInvalid("malformed", "header length")
    head = {"manufacturer": _u(buf, 10, 2), "image_type": _u(buf, 12, 2), "file_version": _u(buf, 14, 4),
            "total": _u(buf, 52, 4), "length": length, "hw_min": None, "hw_max": None}
    if fc & 4:
        head["hw_min"], head["hw_max"] = _u(buf, off, 2), _u(buf, off + 2, 2)
        if head["hw_min"] > head["hw_max"]:
            raise ImageInvalid("malformed", "hardware range inverted")
    return head


def manifest(first):
    """What an emulated board's image declares ({"version": str, "defects": [...]}) from its first octets, or
    None when the Manufacturer Image does not start with the manifest."""
    if not first.startswith(MAGIC):
        return None
    end = first.find(b"\n")
    if end < 0:
        return None
    try:
        found = json.loads(first[len(MAGIC):end])
    except ValueError:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("version"), str):
        return None
    defects = found.get("defects")
    return {"version": found["version"], "defects": defects if isinstance(defects, list) else []}


def check(path, own, signer_public, skip_signature=False):
    """Check the OTA file at `path` for this device (`own`: {"manufacturer", "image_type", "hardware"}) and the
    manufacturer's public key (65-byte point). Returns {"header", "hash" (Manufacturer Image Hash), "offset",
    "size" (of the Manufacturer Image), "manifest"}; raises ImageInvalid naming the failed check."""
    f = open(path, "rb")
    try:
        first = f.read(MAX_HEADER)
        head = parse_header(first)
        f.seek(0, 2)
        size = f.tell()
        if head["total"] != size:
            raise ImageInvalid("size", "header says %d octets, %d held" % (head["total"], size))
        if head["manufacturer"] != own["manufacturer"]:
            raise ImageInvalid("manufacturer", "0x%04X" % head["manufacturer"])
        if head["image_type"] != own["image_type"]:
            raise ImageInvalid("image_type", "0x%04X" % head["image_type"])
        hw = own.get("hardware")
        if head["hw_min"] is not None and hw is not None and not head["hw_min"] <= hw <= head["hw_max"]:
            raise ImageInvalid("hardware", "0x%04X outside 0x%04X-0x%04X" % (hw, head["hw_min"], head["hw_max"]))
        signed = hashlib.sha256(bytes(first[:head["length"]]))
        image = None
        signature = None
        pos = head["length"]
        while pos < size:
            f.seek(pos)
            sub = f.read(6)
            if len(sub) < 6:
                raise ImageInvalid("malformed", "sub-element header truncated")
            tag, n = _u(sub, 0, 2), _u(sub, 2, 4)
            start = pos + 6
            if start + n > size:
                raise ImageInvalid("malformed", "sub-element 0x%04X overruns the file" % tag)
            if tag == TAG_UPGRADE_IMAGE and image is None:
                image = _hash_range(f, start, n, signed)
            elif tag == TAG_SIGNATURE and signature is None and start + n == size and n == SIGNATURE_DATA:
                signature = f.read(n)
            else:
                raise ImageInvalid("malformed", "unexpected sub-element 0x%04X" % tag)
            pos = start + n
        if image is None or signature is None:
            raise ImageInvalid("malformed", "missing the upgrade image or the signature (last)")
        if signature[:8] != own.get("signer", signature[:8]):
            raise ImageInvalid("signer", "signed by another manufacturer")
        if not skip_signature:
            try:
                ok = ecdsa.verify_digest(signer_public, signed.digest(), signature[8:])
            except CryptoInputError:
                ok = False
            if not ok:
                raise ImageInvalid("signature", "the manufacturer's signature does not verify")
        f.seek(image[1])
        found = manifest(f.read(MAX_HEADER + 64))
        return {"header": head, "hash": image[0], "offset": image[1], "size": image[2], "manifest": found}
    finally:
        f.close()


def _hash_range(f, start, n, also):
    """(SHA-256 of `n` octets at `start`, start, n), feeding the same octets to `also`."""
    h = hashlib.sha256()
    f.seek(start)
    left = n
    while left:
        chunk = f.read(min(CHUNK, left))
        if not chunk:
            raise ImageInvalid("malformed", "upgrade image truncated")
        h.update(chunk)
        also.update(chunk)
        left -= len(chunk)
    return h.digest(), start, n


def image_hash(path, start, n):
    """The Manufacturer Image Hash of the image held at `path` (re-read from flash, as CS06 requires)."""
    f = open(path, "rb")
    try:
        return _hash_range(f, start, n, hashlib.sha256())[0]
    finally:
        f.close()
