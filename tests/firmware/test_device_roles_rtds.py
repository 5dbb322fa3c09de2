"""The HAN device roles answer the RTDS commands of their use cases, byte for byte where the content is
deterministic: ECS70 / GCS28 Set Clock (SRV 6.11, 8.1.1), CS03A2 / CS03B / CS03C joins (SRV 8.7.2), CS04AC unjoin
(SRV 8.8.1). CPython; the same role modules run on every simulated board.

The RTDS holds no device private keys, so the device under test gets the ACB's KA private key and the ACB entry
gets the device's KA public key: ECDH is symmetric, so the device verifies the real ACB MAC with its own code; the
originators' DS keys (supplier, ACB) come from the RTDS keystore, so KRP signatures are verified for real. (A response
MAC made so is not the RTDS one: only the content, counter and other-information are compared.)
"""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.gbcs import frame
from firmware.hal import Hal
from firmware import roles
from rawkeys import ACB, private, public

SUPPLIER = "90B3D51F30010000"
DEVICES = {"esme": "00DB1234567890A0", "gsme": "00DB1234567890A1", "ppmid": "00DB1234567890A4"}
CRITICAL = [0x0062, 0x007F, 0x000F]


def _read(path: Path) -> bytes:
    return bytes.fromhex("".join(path.read_text().split()))


@pytest.fixture
def rtds(shared):
    return shared("rtds", "RTDS-4.5.0"), shared("rtds", "keystore")


def device(tmp_path: Path, keystore: Path, role: str, utc_ms: int, log: list[str] = ()):
    eui = DEVICES[role]
    parties = {ACB: {"ds": public(keystore, ACB, "ds").hex(), "ka": public(keystore, eui, "ka").hex()},
               SUPPLIER: {"ds": public(keystore, SUPPLIER, "ds").hex(), "ka": public(keystore, SUPPLIER, "ka").hex()}}
    gbcs = {"eui": eui, "ka_private": private(keystore, ACB, "ka").hex(), "ds_private": "11" * 32, "acb": ACB,
            "parties": parties, "critical_codes": CRITICAL}
    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    hal = Hal(lambda name, data: None, str(tmp_path), {"role": role, "gbcs": gbcs})
    hal.clock.set(utc_ms)
    dev = roles.load(role, hal)
    dev.state["devlog"] = [{"eui": e, "type": 5} for e in log]
    return dev


def check(dev, folder: Path, name: str) -> None:
    """The device's answer to RTDS `name`_COMMAND has the RTDS response's counter, other-information and content."""
    answer = dev.methods()["gbcs.command"]({"hex": _read(folder / f"{name}_COMMAND_GBCS.HEX").hex()})
    assert answer["rejected"] is None, answer
    got = frame.parse(bytes.fromhex(answer["response"]))
    expected = frame.parse(_read(folder / f"{name}_RESPONSE_GBCS.HEX"))
    assert (got.counter, got.other_info, got.recipient) == (expected.counter, expected.other_info, expected.recipient)
    assert got.content == expected.content, f"{got.content.hex().upper()} != {expected.content.hex().upper()}"
    assert (got.mac is None) == (expected.mac is None), "signed/MAC'd form differs from the RTDS response"


def test_esme_answers_ecs70_like_the_rtds(rtds, tmp_path):
    folder, keystore = rtds
    at_midnight = device(tmp_path, keystore, "esme", 1420070400000)          # 2015-01-01 00:00:00: inside
    check(at_midnight, folder / "6.11_ECS70", "ECS70_6.11_SUCCESS")
    an_hour_on = device(tmp_path / "b", keystore, "esme", 1420074000000)     # 01:00: outside the window
    check(an_hour_on, folder / "6.11_ECS70", "ECS70_6.11_ERROR")


def test_gsme_answers_gcs28_like_the_rtds(rtds, tmp_path):
    folder, keystore = rtds
    check(device(tmp_path, keystore, "gsme", 1420068600000), folder / "6.11_GCS28", "GCS28_6.11_SUCCESS")  # 23:30
    check(device(tmp_path / "b", keystore, "gsme", 1420070400000), folder / "6.11_GCS28", "GCS28_6.11_ERROR")


def test_esme_answers_cs04ac_like_the_rtds(rtds, tmp_path):
    folder, keystore = rtds
    esme = device(tmp_path, keystore, "esme", 1420070400000, log=["00DB123456789099"])
    check(esme, folder / "8.8.1_CS04ACCritical", "CS04ACCritical_8.8.1_SUCCESS")
    check(esme, folder / "8.8.1_CS04ACCritical", "CS04ACCritical_8.8.1_ERROR")   # already gone: status 1


@pytest.mark.parametrize("role,directory,name", [
    ("gsme", "8.7.2_CS03B", "CS03B_8.7.2_SUCCESS"),
    ("ppmid", "8.7.2_CS03A2NonCritical", "CS03A2NonCritical_8.7.2_SUCCESS"),
    ("ppmid", "8.7.2_CS03CNonCritical", "CS03CNonCritical_8.7.2_SUCCESS"),
])
def test_joins_are_answered_like_the_rtds(rtds, tmp_path, role, directory, name):
    folder, keystore = rtds
    dev = device(tmp_path, keystore, role, 1420070400000)
    check(dev, folder / directory, name)
    assert len(dev.state["devlog"]) == 1


def test_esme_answers_ecs40_like_the_rtds(rtds, tmp_path):
    folder, keystore = rtds
    esme = device(tmp_path, keystore, "esme", 1420070400000)
    check(esme, folder / "6.2.7_ECS40", "ECS40_6.2.7_SINGLE_ERROR")   # nothing set yet: the RTDS ERROR layout
    with_mpans = device(tmp_path / "b", keystore, "esme", 1420070400000)
    with_mpans.state["mpxn"] = {"00005e2c220b": b"1312345678111".hex(), "0100000002ff": b"1312345678333".hex()}
    check(with_mpans, folder / "6.2.7_ECS40", "ECS40_6.2.7_SINGLE_SUCCESS")


def test_generic_non_critical_alerts_have_the_rtds_layout(rtds, tmp_path):
    folder, keystore = rtds
    esme = device(tmp_path, keystore, "esme", 1420070400000)
    esme.gbcs.alert_counter = 0x7CF
    expected = frame.parse(_read(folder / "NA_GNCA-DLMS" / "GNCA-DLMS_NA_810E_ALERT_GBCS.HEX")).content
    assert esme.alert_content(0x810E) == expected
    gsme = device(tmp_path / "b", keystore, "gsme", 1420070400000)
    expected = frame.parse(_read(folder / "NA_GNCA-ZigBee" / "GNCA-ZigBee_NA_810E_ALERT_GBCS.HEX")).content
    assert gsme.alert_content(0x810E) == expected


def test_gpf_answers_gcs13a_from_its_mirror_like_the_rtds(rtds):
    """GCS13a (RTDS 4.1.1, GPF): the GPF's encrypted answer from its mirror is the RTDS response content byte for
    byte. ECDH is symmetric, so the GPF's code runs with the supplier's KA private key and the GPF's public key as
    the supplier's: the section-8 key is then the real one."""
    from firmware.crypto import p256
    from firmware.gbcs import device as fw_device, gbz, protect
    from firmware.roles import gas_mirror

    folder, keystore = rtds
    command = frame.parse(_read(folder / "4.1.1_GCS13a" / "GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_COMMAND_GBCS.HEX"))
    expected = frame.parse(_read(folder / "4.1.1_GCS13a" / "GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_RESPONSE_GBCS.HEX"))
    gpf, supplier = bytes.fromhex("00DB1234567890A3"), bytes.fromhex(SUPPLIER)
    z = p256.ecdh(private(keystore, SUPPLIER, "ka"), public(keystore, gpf.hex(), "ka"))
    [block] = gbz.parse(expected.content).components
    clear = protect.open_block(protect.content_key(z, gpf, expected.counter, supplier), gpf, block.payload)
    values, off = {}, 0   # the RTDS records: id LE, status, type, value LE
    while off < len(clear):
        attr, dtype = clear[off] | clear[off + 1] << 8, clear[off + 3]
        size = gas_mirror.TYPES[attr][1]
        assert (clear[off + 2], dtype) == (0, gas_mirror.TYPES[attr][0])
        values[attr] = int.from_bytes(clear[off + 4:off + 4 + size], "little")
        off += 4 + size
    dev = fw_device.Device(gpf, private(keystore, SUPPLIER, "ka"), b"\x11" * 32, bytes.fromhex(ACB),
                           {supplier: fw_device.Party(ka=public(keystore, gpf.hex(), "ka"))})
    mirror = gas_mirror.update(gas_mirror.defaults(), gpf.hex().upper(), values, 0)
    assert gas_mirror.answer(dev, mirror, command) == expected.content


def test_gpf_gcs13a_decrypts_with_the_harness():
    """Cross-check: what the GPF's firmware encrypts, the harness's GBCS codec decrypts with the supplier's key."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from firmware.crypto import ecdsa
    from firmware.gbcs import device as fw_device, frame as fw_frame
    from firmware.roles import gas_mirror
    from harness.gbcs import crypto as h_crypto
    from harness.gbcs.apdu import Message
    from harness.gbcs.gbz import GbzPayload
    from harness.gbcs.security import decrypt_block, encryption_key

    sup_ka, sup_pub = ecdsa.generate_keypair()
    gpf_ka, gpf_pub = ecdsa.generate_keypair()
    gpf, supplier = bytes.fromhex("00DB1234567890A3"), bytes.fromhex(SUPPLIER)
    dev = fw_device.Device(gpf, gpf_ka, b"\x11" * 32, bytes.fromhex(ACB), {supplier: fw_device.Party(ka=sup_pub)})
    counter = (0x1234).to_bytes(8, "big")
    content = bytes.fromhex("0109" "01" "01" "0702" "000B" "000700" "0000" "0003" "0103" "0203")  # seq 7
    command = fw_frame.parse(fw_frame.build_signing(1, counter, supplier, gpf, fw_frame.build_other_info(0x0074),
                                                    content) + fw_frame.signature_field(None))
    mirror = gas_mirror.update(gas_mirror.defaults(), gpf.hex().upper(), {0: 123456, 768: 0, 769: 1, 770: 1000}, 0)
    response = fw_frame.build_signing(2, counter, gpf, supplier, fw_frame.build_other_info(0x0074),
                                      gas_mirror.answer(dev, mirror, command)) + fw_frame.signature_field(None)
    header = Message.decode(fw_frame.mac_wrap(response, b"\x00" * 12)).grouping
    [component] = GbzPayload.decode(header.payload).components
    assert (component.encrypted, component.cluster, component.sequence) == (True, 0x0702, 7)
    curve = ec.SECP256R1()
    z = h_crypto.ecdh_z(ec.derive_private_key(int.from_bytes(sup_ka, "big"), curve),
                        ec.EllipticCurvePublicKey.from_encoded_point(curve, gpf_pub))
    key = encryption_key(z, header)
    clear = decrypt_block(key, gpf, component.ciphered)
    assert clear == bytes.fromhex("0000" "00" "25" "40E201000000" "0003" "00" "30" "00"
                                  "0103" "00" "22" "010000" "0203" "00" "22" "E80300")
