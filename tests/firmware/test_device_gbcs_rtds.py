"""Device-side GBCS checks over the visible RTDS corpus, under CPython and the MicroPython unix port.

Device KA private keys are absent, so the tests use ECDH symmetry: the "device" holds the ACB's KA private
key and knows the device's KA public key as the ACB's, which yields the same Z as device KA x ACB KA.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.crypto import ecdsa
from firmware.gbcs import device as dev_mod
from firmware.gbcs import frame, security
from firmware.gbcs.device import Device, Party
from firmware.gbcs.errors import Rejected
from harness.shared import PROJECT_ROOT, shared_path

from rawkeys import ACB, private, public

HERE = Path(__file__).parent
MICROPYTHON = shutil.which("micropython", path=str(Path(sys.executable).parent)) or shutil.which("micropython")
H = bytes.fromhex


def _files(rtds: Path, kind: str) -> list[Path]:
    return sorted(p for p in rtds.glob(f"*/*_{kind}_GBCS.HEX"))


def _read(p: Path) -> bytes:
    return H(p.read_text().strip())


def _case(keystore: Path, msg: frame.Message) -> dict:
    """Device set-up (hex strings) to check ``msg`` as its recipient, via ECDH symmetry."""
    ka_dev = public(keystore, msg.recipient.hex(), "ka")
    parties = {ACB.lower(): {"ka": ka_dev.hex()}}
    ds = public(keystore, msg.originator.hex(), "ds")
    entry = parties.setdefault(msg.originator.hex(), {})
    if ds is not None:
        entry["ds"] = ds.hex()
    return {"eui": msg.recipient.hex(), "ka_private": private(keystore, ACB, "ka").hex(), "acb": ACB.lower(),
            "parties": parties}


def _device(case: dict) -> Device:
    parties = {H(e): Party(H(k["ds"]) if k.get("ds") else None, H(k["ka"]) if k.get("ka") else None)
               for e, k in case["parties"].items()}
    return Device(H(case["eui"]), H(case["ka_private"]), None, H(case["acb"]), parties)


def _remac(msg: frame.Message, z: bytes, new_gs: bytes) -> bytes:
    key = security.mac_key(z, msg.originator, msg.cra, msg.counter, msg.recipient)
    return frame.mac_wrap(new_gs, security.compute_mac(key, msg.originator, new_gs))


def _tampered(case: dict, raw: bytes) -> list[tuple[bytes, str]]:
    """(message, expected reason) variants of a valid command."""
    msg = frame.parse(raw)
    out = []
    flipped_mac = bytearray(raw)
    flipped_mac[-1] ^= 0x01
    out.append((bytes(flipped_mac), dev_mod.MAC_INVALID))
    content = bytearray(raw)
    content[msg.content_end - 1] ^= 0x80
    out.append((bytes(content), dev_mod.MAC_INVALID))
    if msg.signature:
        z = _device(case).shared_secret(H(ACB))
        gs = bytearray(msg.general_signing())
        gs[-5] ^= 0x10  # inside s, then a correct ACB MAC over the damaged field
        out.append((_remac(msg, z, bytes(gs)), dev_mod.SIGNATURE_INVALID))
    out.append((raw[:-13], dev_mod.MALFORMED))
    return out


@pytest.fixture(scope="module")
def corpus():
    rtds = shared_path("rtds", "RTDS-4.5.0")
    keystore = shared_path("rtds", "keystore")
    if rtds is None or keystore is None:
        pytest.skip("shared material rtds/RTDS-4.5.0 and rtds/keystore is absent (set RIG_SHARED)")
    # HAN-only PCS commands (PPMID -> GSME) are MAC'd with device KA keys, whose private halves are absent.
    commands = [(p, _read(p)) for p in _files(rtds, "COMMAND")
                if "PRECOMMAND" not in p.name and not p.name.startswith("PCS")]
    assert commands, "no COMMAND files in the RTDS folder"
    return rtds, keystore, commands


def test_every_visible_command_passes_device_checks(corpus):
    _, keystore, commands = corpus
    signed = maced = 0
    for path, raw in commands:
        msg = frame.parse(raw)
        dev = _device(_case(keystore, msg))
        if msg.signature:
            dev.critical_codes.add(msg.message_code)
        checked = dev.check_command(raw)
        assert checked.counter == msg.counter, path.name
        signed += bool(msg.signature)
        maced += msg.mac is not None
        with pytest.raises(Rejected) as exc:
            dev.check_command(raw)
        assert exc.value.reason == dev_mod.REPLAY, path.name
    assert signed > 50 and maced == len(commands)


def test_tampered_commands_rejected_with_named_reason(corpus):
    _, keystore, commands = corpus
    sample = commands[::10]
    for path, raw in sample:
        case = _case(keystore, frame.parse(raw))
        for bad, reason in _tampered(case, raw):
            with pytest.raises(Rejected) as exc:
                _device(case).check_command(bad)
            assert exc.value.reason == reason, path.name


def test_recipient_originator_and_missing_signature(corpus):
    _, keystore, commands = corpus
    raw = next(r for _, r in commands if frame.parse(r).signature)
    msg = frame.parse(raw)
    case = _case(keystore, msg)
    other = dict(case, eui="00db1234567890ff")
    with pytest.raises(Rejected) as exc:
        _device(other).check_command(raw)
    assert exc.value.reason == dev_mod.WRONG_RECIPIENT
    stranger = dict(case, parties={ACB.lower(): case["parties"][ACB.lower()]})
    if msg.originator.hex() != ACB.lower():
        with pytest.raises(Rejected) as exc:
            _device(stranger).check_command(raw)
        assert exc.value.reason == dev_mod.UNKNOWN_ORIGINATOR
    unsigned_raw = next(r for _, r in commands if frame.parse(r).signature == b"")
    um = frame.parse(unsigned_raw)
    d = _device(_case(keystore, um))
    d.critical_codes.add(um.message_code)
    with pytest.raises(Rejected) as exc:
        d.check_command(unsigned_raw)
    assert exc.value.reason == dev_mod.SIGNATURE_MISSING


def _pairs(rtds: Path, kind: str):
    for p in _files(rtds, kind):
        cmd = p.with_name(p.name.replace(f"_{kind}_", "_COMMAND_"))
        yield p, _read(p), (_read(cmd) if cmd.exists() else None)


def test_non_critical_responses_and_alerts_rebuilt_byte_for_byte(corpus):
    """The device builder reproduces RTDS MAC'd responses/alerts (recipient KA private x device KA public)."""
    rtds, keystore, _ = corpus
    rebuilt = 0
    for kind in ("RESPONSE", "ALERT"):
        for path, raw, cmd_raw in _pairs(rtds, kind):
            msg = frame.parse(raw)
            if msg.mac is None or msg.supp_orig_counter is not None:
                continue
            ka_priv = private(keystore, msg.recipient.hex(), "ka")
            if ka_priv is None:
                continue
            ka_dev = public(keystore, msg.originator.hex(), "ka")
            dev = Device(msg.originator, ka_priv, None, H(ACB), {msg.recipient: Party(None, ka_dev)})
            if kind == "RESPONSE":
                if cmd_raw is None:
                    continue
                out = dev.build_response(frame.parse(cmd_raw), msg.content, date_time=msg.date_time,
                                         other_info=msg.other_info)
            else:
                dev.alert_counter = msg.counter_int() - 1
                out = dev.build_alert(msg.recipient, msg.message_code, msg.content, date_time=msg.date_time)
                assert msg.other_info == frame.build_other_info(msg.message_code), path.name
            assert out == raw, path.name
            rebuilt += 1
    assert rebuilt > 20


def test_critical_responses_and_alerts_signatures_verify(corpus):
    rtds, keystore, _ = corpus
    checked = 0
    for kind in ("RESPONSE", "ALERT"):
        for path, raw, _cmd in _pairs(rtds, kind):
            msg = frame.parse(raw)
            if not msg.signature:
                continue
            assert msg.mac is None, path.name
            assert security.signature_valid(public(keystore, msg.originator.hex(), "ds"), msg), path.name
            checked += 1
    assert checked > 10


def test_device_signed_response_verifies_and_mac_response_parses(corpus):
    _, keystore, commands = corpus
    raw = commands[0][1]
    cmd = frame.parse(raw)
    ds_priv, ds_pub = ecdsa.generate_keypair()
    ka_priv, ka_pub = ecdsa.generate_keypair()
    dev = Device(cmd.recipient, ka_priv, ds_priv, H(ACB), {cmd.originator: Party(None, ka_pub)})
    signed = frame.parse(dev.build_response(cmd, b"\x05\x00", critical=True))
    assert signed.cra == frame.CRA_RESPONSE and signed.counter == cmd.counter and signed.mac is None
    assert signed.originator == cmd.recipient and signed.recipient == cmd.originator
    assert security.signature_valid(ds_pub, signed)
    maced = frame.parse(dev.build_response(cmd, b"\x05\x00"))
    assert maced.signature == b"" and security.mac_valid(dev.shared_secret(cmd.originator), maced)


@pytest.mark.skipif(MICROPYTHON is None, reason="the micropython unix port is not installed")
def test_micropython_verdicts_match_cpython(corpus, tmp_path):
    _, keystore, commands = corpus
    sample = commands[:: max(1, len(commands) // 16)][:16]
    cases, expected = [], []
    for path, raw in sample:
        msg = frame.parse(raw)
        case = _case(keystore, msg)
        msgs = [raw, raw] + [bad for bad, _ in _tampered(case, raw)[:2]]
        case["messages"] = [m.hex() for m in msgs]
        cases.append(case)
        d = _device(case)
        verdicts = []
        for m in msgs:
            try:
                d.check_command(m)
                verdicts.append("ok")
            except Rejected as e:
                verdicts.append(e.reason)
        expected.append(" ".join(verdicts))
    assert any("signature" not in v for v in expected)
    jpath = tmp_path / "cases.json"
    jpath.write_text(json.dumps(cases))
    proc = subprocess.run([MICROPYTHON, "-X", "heapsize=4M", str(HERE / "fw_gbcs_check.py"), str(jpath),
                           str(PROJECT_ROOT)], capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:len(expected)] == expected
    assert all(v.startswith("ok counter_not_greater") for v in expected)


def test_every_visible_payload_parses_and_rebuilds(corpus):
    """Every RTDS payload (GBZ, DLMS D9/DA/0F, DER) parses with the device helpers and rebuilds byte for byte."""
    from firmware.gbcs import der, dlms, gbz

    rtds, _, _ = corpus
    families = {}
    for path in sorted(rtds.glob("*/*_GBCS.HEX")):
        msg = frame.parse(_read(path))
        c = msg.content
        if c[:2] == gbz.PROFILE:
            fam, again = "gbz", gbz.build(gbz.parse(c, alert=msg.cra == frame.CRA_ALERT))
        elif c[0] == dlms.ACCESS_REQUEST:
            r = dlms.parse_access_request(c)
            fam, again = "dlms", dlms.build_access_request(r.invoke_id, r.specs, r.data, r.date_time)
            assert r.invoke_id == dlms.invoke_id(msg.counter), path.name
        elif c[0] == dlms.ACCESS_RESPONSE:
            inv, dt, data, results = dlms.parse_access_response(c)
            fam, again = "dlms", dlms.build_access_response(inv, data, results, dt)
        elif c[0] == dlms.DATA_NOTIFICATION:
            inv, dt, item = dlms.parse_data_notification(c)
            fam, again = "dlms", dlms.build_data_notification(inv, item, dt)
        else:
            # RTDS uses BER lengths such as 82 00 DE, so compare DER elements rather than bytes.
            elements = der.elements(c)
            fam, again, c = "der", der.elements(b"".join(der.tlv(t, v) for t, v in elements)), elements
        assert again == c, path.name
        families[fam] = families.get(fam, 0) + 1
    assert set(families) == {"gbz", "dlms", "der"}


def test_gbz_encrypted_blocks_decrypt_device_side(corpus):
    """GBCS section 8: encrypted GBZ components open with the device key derivation (04 in the CRA slot)."""
    from firmware.crypto import p256
    from firmware.gbcs import gbz, protect

    rtds, keystore, _ = corpus
    opened = 0
    for path in sorted(rtds.glob("*/*_GBCS.HEX")):
        msg = frame.parse(_read(path))
        if msg.content[:2] != gbz.PROFILE or msg.cra == frame.CRA_COMMAND:
            continue
        parsed = gbz.parse(msg.content, alert=msg.cra == frame.CRA_ALERT)
        blocks = [c for c in parsed.components if c.encrypted]
        if not blocks:
            continue
        party = msg.supp_id if msg.supp_id is not None else msg.recipient
        party_priv = private(keystore, party.hex(), "ka")
        if party_priv is None:
            continue
        z = p256.ecdh(party_priv, public(keystore, msg.originator.hex(), "ka"))
        counter = msg.supp_orig_counter if msg.supp_orig_counter is not None else msg.counter
        key = protect.content_key(z, msg.originator, counter, party)
        for comp in blocks:
            clear = protect.open_block(key, msg.originator, comp.payload)
            assert protect.seal(key, msg.originator, clear) == comp.payload, path.name
            opened += 1
    assert opened >= 5
