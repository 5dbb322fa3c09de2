# Device-side firmware GBCS payloads (firmware/ota_gbcs.py) byte for byte against RTDS 11.3_CS06 and NA_FDRA-DLMS,
# and the CS06 handler on a real OTA client, under CPython and MicroPython.
import binascii

from firmware import ota_gbcs
from firmware.gbcs import der, frame
from fwtest import need_shared
from test_fw_hal import rmtree, tmpdir
from test_fw_ota import START_MS, body_hash, image, staged

RTDS = ("rtds", "RTDS-4.5.0")


def rtds(folder, name):
    f = open(need_shared(*(RTDS + (folder, name))))
    try:
        return frame.parse(binascii.unhexlify(f.read().strip()))
    finally:
        f.close()


def cs06(name):
    return rtds("11.3_CS06", "CS06_11.3_%s_GBCS.HEX" % name)


def test_cs06_commands_parse():
    immediate = ota_gbcs.parse_cs06(cs06("IMMEDIATE_SUCCESS_COMMAND").content)
    assert immediate[2] is None and immediate[1] == 1000
    assert binascii.hexlify(immediate[0]).decode().upper().startswith("AA758690")
    image_hash, counter, at = ota_gbcs.parse_cs06(cs06("FUTURE_DATED_SUCCESS_COMMAND").content)
    assert counter == 1001 and ota_gbcs.ms_to_time(at)[2:] == b"20300115090000Z"
    assert ota_gbcs.parse_cs06(cs06("CANCELLATION_SUCCESS_COMMAND").content)[2] >= 253402214400000
    for bad in (b"\x30\x00", b"\x30\x03\x02\x01\x00", cs06("IMMEDIATE_SUCCESS_COMMAND").content + b"\x00"):
        try:
            ota_gbcs.parse_cs06(bad)
        except ValueError:
            pass
        else:
            raise AssertionError("parsed a malformed CS06")


def test_responses_and_alerts_match_rtds():
    assert ota_gbcs.outcome_sequence(0, 0x0123ABCE) == cs06("IMMEDIATE_SUCCESS_RESPONSE").content
    assert cs06("FUTURE_DATED_SUCCESS_RESPONSE").content == b"\x05\x00"
    _, counter, at = ota_gbcs.parse_cs06(cs06("FUTURE_DATED_SUCCESS_COMMAND").content)
    alert = ota_gbcs.activation_alert(0x8F66, at, counter, 0, 0x0123ABCF)
    assert alert == cs06("8F66_FUTURE_DATED_SUCCESS_ALERT").content
    fdra = rtds("NA_FDRA-DLMS", "FDRA-DLMS_NA_8F72_ALERT_GBCS.HEX")
    built = ota_gbcs.fdra_dlms(int.from_bytes(fdra.counter, "big"), binascii.unhexlify("07DF0101FF000000008000FF"),
                               0x8F72, b"\x01" * 32)
    assert built == fdra.content


class _Msg:
    def __init__(self, content):
        self.content = content
        self.originator = binascii.unhexlify("90B3D51F30010000")


def test_cs06_handler_drives_the_ota_client():
    data = image("good")
    root = tmpdir()
    try:
        ota = staged(root, data)
        assert ota_gbcs.cs06(ota, cmd(b"\x00" * 32)) == ota_gbcs.outcome_sequence(2, 0x100)
        assert ota_gbcs.cs06(ota, cmd(body_hash(data), START_MS + 60000)) == b"\x05\x00"
        assert ota.status({})["pending"]["at"] == START_MS + 60000
        assert ota_gbcs.cs06(ota, cmd(body_hash(data))) == ota_gbcs.outcome_sequence(0, 0x200)
        assert ota.version() == "0.2.0"
    finally:
        rmtree(root)


def cmd(image_hash, at=None):
    """A checked CS06 as the role's dispatch hands it over (content only)."""
    body = b"\x04\x20" + image_hash + b"\x02\x02\x03\xe8" + (ota_gbcs.ms_to_time(at) if at else b"")
    return _Msg(b"\x30" + bytes([len(body)]) + body)


def test_ccs08_payload():
    payload = ota_gbcs.ccs08(START_MS, b"\x00\xdb\x12\x34\x56\x78\x90\xa0", 0x200, ota_gbcs.TRANSFER_SUCCESS)
    body, end = der.expect(payload, 0, der.SEQUENCE, "ccs08")
    items = der.elements(body)
    assert end == len(payload) and [t for t, _ in items] == [0x02, 0x18, 0x04, 0x04, 0x02]
    assert items[1][1] == b"20260101000000Z" and items[3][1] == b"\x00\x00\x02\x00" and items[4][1] == b"\x00"


def test_cs08_reads_the_running_version_before_and_after_activation():
    data = image("good")
    root = tmpdir()
    try:
        ota = staged(root, data)
        assert ota_gbcs.cs08(ota, _Msg(b"\x05\x00")) == b"\x30\x09\x04\x04\x00\x00\x01\x00\x02\x01\x00"
        ota_gbcs.cs06(ota, cmd(body_hash(data)))
        assert ota_gbcs.cs08(ota, _Msg(b"\x05\x00")) == b"\x30\x09\x04\x04\x00\x00\x02\x00\x02\x01\x00"
        for bad in (b"", b"\x05\x01\x00", b"\x30\x00"):
            try:
                ota_gbcs.cs08(ota, _Msg(bad))
            except ValueError:
                pass
            else:
                raise AssertionError("answered a malformed CS08")
    finally:
        rmtree(root)
