"""CCM* against an independent implementation (cryptography's AES-CCM, AES-CTR) and frame security round trips."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.zse import ccm, frame_security as fs

KEY = bytes(range(0xC0, 0xD0))
SRC = bytes.fromhex("0807060504030201")


@settings(max_examples=60, deadline=None)
@given(key=st.binary(min_size=16, max_size=16), nonce=st.binary(min_size=13, max_size=13),
       a=st.binary(max_size=70), m=st.binary(max_size=70), mic=st.sampled_from([4, 8, 16]))
def test_ccm_matches_aesccm(key, nonce, a, m, mic):
    expected = AESCCM(key, tag_length=mic).encrypt(nonce, m, a)
    assert ccm.encrypt(key, nonce, a, m, mic) == expected
    assert ccm.decrypt(key, nonce, a, expected, mic) == m


@settings(max_examples=30, deadline=None)
@given(nonce=st.binary(min_size=13, max_size=13), m=st.binary(max_size=70))
def test_ccm_mic0_is_ctr_from_counter_1(nonce, m):
    ctr = Cipher(algorithms.AES(KEY), modes.CTR(b"\x01" + nonce + b"\x00\x01")).encryptor().update(m)
    assert ccm.encrypt(KEY, nonce, b"ignored", m, 0) == ctr
    assert ccm.decrypt(KEY, nonce, b"", ctr, 0) == m


def test_ccm_tamper_raises_mic_error():
    c = bytearray(ccm.encrypt(KEY, bytes(13), b"hdr", b"payload", 4))
    c[0] ^= 1
    with pytest.raises(ccm.MicError):
        ccm.decrypt(KEY, bytes(13), b"hdr", bytes(c), 4)
    with pytest.raises(ccm.MicError):
        ccm.decrypt(KEY, bytes(13), b"hdX", ccm.encrypt(KEY, bytes(13), b"hdr", b"p", 16), 16)
    with pytest.raises(InputError) as err:
        ccm.encrypt(KEY, bytes(12), b"", b"", 4)
    assert err.value.field == "nonce"
    with pytest.raises(InputError):
        ccm.encrypt(KEY, bytes(13), b"", b"", 6)


@pytest.mark.parametrize("level", range(8))
@pytest.mark.parametrize("ext_nonce", [False, True])
@pytest.mark.parametrize("key_id", [fs.KEY_DATA, fs.KEY_NETWORK])
def test_frame_round_trip_every_level(level, ext_nonce, key_id):
    header = bytes.fromhex("4802FCFF00001E")
    aux = fs.AuxHeader(level, key_id, 0x01020304, SRC if ext_nonce else None, 7 if key_id == fs.KEY_NETWORK else None)
    payload = b"\x00\x01\x02 zigbee payload"
    frame = fs.secure(KEY, header, aux, payload, source=SRC)
    aux_len = 5 + (8 if ext_nonce else 0) + (1 if key_id == fs.KEY_NETWORK else 0)
    assert frame[len(header)] & 7 == 0                      # level zeroed on air
    assert len(frame) == len(header) + aux_len + len(payload) + fs.mic_length(level)
    if not fs.encrypts(level):
        assert payload in frame
    elif payload:
        assert payload not in frame
    out = fs.unsecure(KEY, frame, len(header), level=level, source=SRC)
    assert (out.header, out.aux, out.payload) == (header, aux, payload)
    if fs.mic_length(level):
        tampered = bytearray(frame)
        tampered[1] ^= 0x40                                  # header is authenticated
        with pytest.raises(ccm.MicError):
            fs.unsecure(KEY, bytes(tampered), len(header), level=level, source=SRC)


def test_level5_frame_matches_hand_built_ccm():
    header = bytes.fromhex("0800")
    aux = fs.AuxHeader(5, fs.KEY_NETWORK, 0x11223344, SRC, 0)
    frame = fs.secure(KEY, header, aux, b"hello")
    aux_real = bytes([0x2D]) + (0x11223344).to_bytes(4, "little") + SRC + b"\x00"
    nonce = SRC + bytes.fromhex("44332211") + b"\x2D"
    expected = AESCCM(KEY, tag_length=4).encrypt(nonce, b"hello", header + aux_real)
    assert frame == header + bytes([0x28]) + aux_real[1:] + expected
    kept = fs.secure(KEY, header, aux, b"hello", on_air_level=None)
    assert kept == header + aux_real + expected
    assert fs.unsecure(KEY, kept, len(header), level=None).payload == b"hello"


def test_unsecure_bad_input():
    header = b"\x08\x00"
    frame = fs.secure(KEY, header, fs.AuxHeader(5, fs.KEY_DATA, 1), b"data", source=SRC)
    with pytest.raises(InputError) as err:
        fs.unsecure(KEY, frame, len(header))                 # no source, no extended nonce
    assert err.value.field == "source"
    with pytest.raises(InputError) as err:
        fs.unsecure(KEY, frame[:5], len(header), source=SRC)
    assert err.value.field == "aux_header"
    with pytest.raises(InputError) as err:
        fs.unsecure(KEY, frame, len(header), level=6, source=SRC)   # the MIC is 8 octets at level 6
    with pytest.raises(InputError) as err:
        fs.unsecure(KEY, header + bytes([0x05]) + frame[3:], len(header), level=6, source=SRC)
    assert err.value.field == "security_control"
    with pytest.raises(ccm.MicError):
        fs.unsecure(bytes(16), frame, len(header), source=SRC)
    with pytest.raises(InputError):
        fs.AuxHeader(5, fs.KEY_NETWORK, 1)                   # NWK key needs a key sequence number
