"""GB OTA firmware images: build, parse and check the ZigBee OTA file a manufacturer releases for a device model.

LAYOUT (the one place the rig states it; the board's parser, firmware/ota_image.py, follows this text):

    ZigBee OTA header [S: ZigBee OTA cluster spec, zigbee-se.md section 7], all integers little-endian:
        0  u32  file identifier 0x0BEEF11E
        4  u16  header version 0x0100
        6  u16  header length (56 + the optional fields present)
        8  u16  field control: bit0 security credential version, bit1 device-specific file, bit2 hardware
                versions present; other bits reserved (0)
       10  u16  manufacturer code            12  u16  image type            14  u32  file version
       18  u16  ZigBee stack version (0x0002 = PRO)
       20  32   header string (text, NUL padded)
       52  u32  total image size (the whole file, header included)
       [56  u8   security credential version]  [u64 LE upgrade file destination]  [u16 min, u16 max hardware version]
    Sub-elements, in this order [S for the framing: tag u16 LE, length u32 LE, data]:
        tag 0x0000 upgrade image: data = the Manufacturer Image (the firmware itself)            [S framing; I GB use]
        tag 0xF000 manufacturer signature, last                                                   [I: INFERRED]
             data = signer id (8 octets, the manufacturer's identifier, big-endian)
                    ‖ ECDSA P-256 signature r‖s (64 octets) over SHA-256(OTA header ‖ Manufacturer Image)
    Manufacturer Image Hash = SHA-256(Manufacturer Image)                                          [I: gbcs.md s.4]
    Firmware version in GBCS payloads and the CPL = the header's file version (4 octets big-endian; 8 hex digits)
                                                                                                    [I: INFERRED]

[S] read from a specification; [I] inferred: GBCS does not say how a manufacturer signs its image (BAD 7.5.3.6.1 says
the creator signs "OTA Header ‖ image"); the rig signs with P-256 ECDSA, the GB SMKI algorithm, in a manufacturer-
specific sub-element so that a plain ZigBee OTA parser (zigpy, Wireshark) still reads the file. Correct it here.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from harness.errors import InputError
from harness.zigbee.reader import Reader

FILE_IDENTIFIER = 0x0BEEF11E
HEADER_VERSION = 0x0100
STACK_PRO = 0x0002
BASE_HEADER_LENGTH = 56
HEADER_STRING_LENGTH = 32
FC_SECURITY_CREDENTIAL, FC_DESTINATION, FC_HARDWARE_VERSIONS = 0x01, 0x02, 0x04
TAG_UPGRADE_IMAGE = 0x0000
TAG_MANUFACTURER_SIGNATURE = 0xF000  # [I] see LAYOUT
SIGNER_ID_LENGTH, SIGNATURE_LENGTH = 8, 64
SUB_ELEMENT_HEAD = 6


class ImageError(InputError):
    """A malformed OTA file. `kind` names what is wrong (one of KINDS)."""

    def __init__(self, kind: str, message: str, *, field: str | None = None, offset: int | None = None):
        self.kind = kind
        super().__init__(message, field=field, offset=offset)


KINDS = ("truncated", "file_identifier", "header_version", "header_length", "field_control", "header_string",
         "total_size", "hardware_range", "sub_element", "no_upgrade_image", "no_signature", "signature_not_last",
         "duplicate_sub_element", "signature_length")


@dataclass(frozen=True)
class OtaHeader:
    manufacturer: int
    image_type: int
    file_version: int
    header_string: str = ""
    stack_version: int = STACK_PRO
    total_size: int = 0
    hardware_min: int | None = None
    hardware_max: int | None = None
    security_credential_version: int | None = None
    destination: int | None = None

    @property
    def length(self) -> int:
        return BASE_HEADER_LENGTH + (1 if self.security_credential_version is not None else 0) \
            + (8 if self.destination is not None else 0) + (4 if self.hardware_min is not None else 0)

    @property
    def field_control(self) -> int:
        return (FC_SECURITY_CREDENTIAL if self.security_credential_version is not None else 0) \
            | (FC_DESTINATION if self.destination is not None else 0) \
            | (FC_HARDWARE_VERSIONS if self.hardware_min is not None else 0)

    def encode(self) -> bytes:
        text = self.header_string.encode()
        if len(text) > HEADER_STRING_LENGTH:
            raise InputError(f"header string is {len(text)} octets, at most {HEADER_STRING_LENGTH}",
                             field="header_string")
        out = FILE_IDENTIFIER.to_bytes(4, "little") + HEADER_VERSION.to_bytes(2, "little") \
            + self.length.to_bytes(2, "little") + self.field_control.to_bytes(2, "little") \
            + self.manufacturer.to_bytes(2, "little") + self.image_type.to_bytes(2, "little") \
            + self.file_version.to_bytes(4, "little") + self.stack_version.to_bytes(2, "little") \
            + text.ljust(HEADER_STRING_LENGTH, b"\0") + self.total_size.to_bytes(4, "little")
        if self.security_credential_version is not None:
            out += bytes([self.security_credential_version])
        if self.destination is not None:
            out += self.destination.to_bytes(8, "little")
        if self.hardware_min is not None:
            out += self.hardware_min.to_bytes(2, "little") + (self.hardware_max or 0).to_bytes(2, "little")
        return out


@dataclass(frozen=True)
class OtaImage:
    """A parsed OTA file: its header (as encoded), the Manufacturer Image and the manufacturer's signature."""

    header: OtaHeader
    header_bytes: bytes
    manufacturer_image: bytes
    signer: bytes
    signature: bytes
    other_sub_elements: tuple[tuple[int, bytes], ...] = field(default=())

    @property
    def manufacturer_image_hash(self) -> bytes:
        return manufacturer_image_hash(self.manufacturer_image)

    @property
    def firmware_version(self) -> bytes:
        return firmware_version_octets(self.header.file_version)

    def signed_data(self) -> bytes:
        return self.header_bytes + self.manufacturer_image

    def signature_valid(self, public_key: ec.EllipticCurvePublicKey) -> bool:
        r, s = int.from_bytes(self.signature[:32], "big"), int.from_bytes(self.signature[32:], "big")
        try:
            public_key.verify(encode_dss_signature(r, s), self.signed_data(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


def manufacturer_image_hash(manufacturer_image: bytes) -> bytes:
    """The Manufacturer Image Hash (see LAYOUT)."""
    return hashlib.sha256(manufacturer_image).digest()


def firmware_version_octets(file_version: int) -> bytes:
    """The firmware version as GBCS payloads carry it (see LAYOUT)."""
    return file_version.to_bytes(4, "big")


def _sub_element(tag: int, data: bytes) -> bytes:
    return tag.to_bytes(2, "little") + len(data).to_bytes(4, "little") + data


def build(header: OtaHeader, manufacturer_image: bytes, signer: bytes,
          key: ec.EllipticCurvePrivateKey) -> bytes:
    """The OTA file for `manufacturer_image`, signed by `key` as manufacturer `signer` (8 octets); the header's
    total size is filled in."""
    if len(signer) != SIGNER_ID_LENGTH:
        raise InputError(f"signer id must be {SIGNER_ID_LENGTH} octets", field="signer")
    if (header.hardware_min is None) != (header.hardware_max is None):
        raise InputError("give both hardware versions or neither", field="hardware_version")
    total = header.length + 2 * SUB_ELEMENT_HEAD + len(manufacturer_image) + SIGNER_ID_LENGTH + SIGNATURE_LENGTH
    header = OtaHeader(**{**header.__dict__, "total_size": total})
    head = header.encode()
    r, s = decode_dss_signature(key.sign(head + manufacturer_image, ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return head + _sub_element(TAG_UPGRADE_IMAGE, manufacturer_image) \
        + _sub_element(TAG_MANUFACTURER_SIGNATURE, signer + signature)


def parse_header(data: bytes) -> OtaHeader:
    """The OTA header at the start of `data`; ImageError (a typed InputError) for every malformed kind."""
    r = Reader(data, "OTA header")

    def take(n: int, name: str) -> int:
        if r.remaining() < n:
            raise ImageError("truncated", f"OTA header truncated: need {n} octet(s), {r.remaining()} left",
                             field=name, offset=r.offset())
        return r.uint(n, name)

    if take(4, "file_identifier") != FILE_IDENTIFIER:
        raise ImageError("file_identifier", "not an OTA file (file identifier is not 0x0BEEF11E)",
                         field="file_identifier", offset=0)
    version = take(2, "header_version")
    if version != HEADER_VERSION:
        raise ImageError("header_version", f"header version 0x{version:04X}, expected 0x0100",
                         field="header_version", offset=4)
    length = take(2, "header_length")
    fc = take(2, "field_control")
    if fc & ~(FC_SECURITY_CREDENTIAL | FC_DESTINATION | FC_HARDWARE_VERSIONS):
        raise ImageError("field_control", f"reserved field control bits set (0x{fc:04X})", field="field_control",
                         offset=8)
    expected = BASE_HEADER_LENGTH + (1 if fc & FC_SECURITY_CREDENTIAL else 0) + (8 if fc & FC_DESTINATION else 0) \
        + (4 if fc & FC_HARDWARE_VERSIONS else 0)
    if length != expected:
        raise ImageError("header_length", f"header length {length} does not match the field control "
                         f"(expected {expected})", field="header_length", offset=6)
    manufacturer, image_type = take(2, "manufacturer_code"), take(2, "image_type")
    file_version, stack = take(4, "file_version"), take(2, "stack_version")
    if r.remaining() < HEADER_STRING_LENGTH:
        take(HEADER_STRING_LENGTH, "header_string")
    raw = r.take(HEADER_STRING_LENGTH, "header_string")
    try:
        text = raw.split(b"\0", 1)[0].decode()
    except UnicodeDecodeError:
        raise ImageError("header_string", "header string is not text", field="header_string", offset=20) from None
    total = take(4, "total_image_size")
    credential = take(1, "security_credential_version") if fc & FC_SECURITY_CREDENTIAL else None
    destination = take(8, "upgrade_file_destination") if fc & FC_DESTINATION else None
    hw_min = hw_max = None
    if fc & FC_HARDWARE_VERSIONS:
        hw_min, hw_max = take(2, "minimum_hardware_version"), take(2, "maximum_hardware_version")
        if hw_min > hw_max:
            raise ImageError("hardware_range", f"minimum hardware version 0x{hw_min:04X} above maximum "
                             f"0x{hw_max:04X}", field="hardware_version", offset=length - 4)
    if total < length:
        raise ImageError("total_size", f"total image size {total} is smaller than the header", field="total_size",
                         offset=52)
    return OtaHeader(manufacturer, image_type, file_version, text, stack, total, hw_min, hw_max, credential,
                     destination)


def parse(data: bytes) -> OtaImage:
    """A whole OTA file: header, the upgrade image sub-element and the manufacturer signature (last)."""
    header = parse_header(data)
    if header.total_size != len(data):
        raise ImageError("total_size", f"total image size {header.total_size} but the file has {len(data)} octets",
                         field="total_size", offset=52)
    r = Reader(data, "OTA sub-elements")
    r.pos = header.length
    found: dict[int, bytes] = {}
    order: list[int] = []
    while r.remaining():
        at = r.offset()
        if r.remaining() < SUB_ELEMENT_HEAD:
            raise ImageError("sub_element", "sub-element header truncated", field="sub_element", offset=at)
        tag, length = r.u16("tag"), r.u32("length")
        if length > r.remaining():
            raise ImageError("sub_element", f"sub-element 0x{tag:04X} claims {length} octets, {r.remaining()} left",
                             field="sub_element.length", offset=at + 2)
        if tag in found:
            raise ImageError("duplicate_sub_element", f"sub-element 0x{tag:04X} appears twice", field="tag", offset=at)
        found[tag] = r.take(length, "data")
        order.append(tag)
    if TAG_UPGRADE_IMAGE not in found:
        raise ImageError("no_upgrade_image", "no upgrade image sub-element (tag 0x0000)", field="tag")
    if TAG_MANUFACTURER_SIGNATURE not in found:
        raise ImageError("no_signature", "no manufacturer signature sub-element (tag 0xF000)", field="tag")
    if order[-1] != TAG_MANUFACTURER_SIGNATURE:
        raise ImageError("signature_not_last", "the manufacturer signature is not the last sub-element", field="tag")
    sig = found[TAG_MANUFACTURER_SIGNATURE]
    if len(sig) != SIGNER_ID_LENGTH + SIGNATURE_LENGTH:
        raise ImageError("signature_length", f"manufacturer signature is {len(sig)} octets, expected "
                         f"{SIGNER_ID_LENGTH + SIGNATURE_LENGTH}", field="signature")
    others = tuple((t, found[t]) for t in order if t not in (TAG_UPGRADE_IMAGE, TAG_MANUFACTURER_SIGNATURE))
    return OtaImage(header, data[:header.length], found[TAG_UPGRADE_IMAGE], sig[:SIGNER_ID_LENGTH],
                    sig[SIGNER_ID_LENGTH:], others)
