# Device-side crypto known answers: runs under CPython (pytest) and the MicroPython unix port.
import json

from fwtest import need_shared

from firmware.crypto import aes, ecdsa, gcm, kdf, p256
from firmware.crypto.compare import equal
from firmware.crypto.errors import CryptoInputError
from firmware.crypto.hashing import hmac_sha256, sha256

H = bytes.fromhex

# RFC 6979 appendix A.2.5 (P-256, SHA-256).
RFC_D = H("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
RFC_UX = "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
RFC_UY = "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"
RFC_SAMPLE = ("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
              "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8")
RFC_TEST = ("F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
            "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083")

# NIST CAVP ECC CDH primitive, P-256, COUNT = 0.
CAVS_QX = "700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287"
CAVS_QY = "db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac"
IUT_D = H("7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534")
IUT_QX = "ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230"
IUT_QY = "28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141"
IUT_Z = "46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b"


def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return e
    raise AssertionError("expected %s" % exc.__name__)


def test_sha256_and_hmac():
    assert sha256(b"abc") == H("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    # RFC 4231 test case 2.
    assert hmac_sha256(b"Jefe", b"what do ya want for nothing?") == H(
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_aes_fips197_c1():
    k = aes.AES128(H("000102030405060708090a0b0c0d0e0f"))
    assert k.encrypt_block(H("00112233445566778899aabbccddeeff")) == H("69c4e0d86a7b0430d8cdb78070b4c55a")


def test_aes_table_fallback_matches_fips197():
    t = aes._TableAES(H("2b7e151628aed2a6abf7158809cf4f3c"))
    assert t.encrypt(H("3243f6a8885a308d313198a2e0370734")) == H("3925841d02dc09fbdc118597196a0b32")
    raises(CryptoInputError, aes.AES128, b"short")


def test_gcm_nist_case_4():
    # McGrew/Viega GCM spec test case 4 (AES-128, 60-byte plaintext, 20-byte AAD).
    key = H("feffe9928665731c6d6a8f9467308308")
    iv = H("cafebabefacedbaddecaf888")
    pt = H("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
           "b16aedf5aa0de657ba637b39")
    aad = H("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    ct, tag = gcm.encrypt(key, iv, pt, aad)
    assert ct == H("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05"
                   "1ba30b396a0aac973d58e091")
    assert tag == H("5bc94fbc3221a5db94fae95ae7121a47")
    assert gcm.decrypt(key, iv, ct, tag, aad) == pt
    assert gcm.decrypt(key, iv, ct, tag[:12], aad) == pt
    bad = bytearray(ct)
    bad[0] ^= 1
    raises(gcm.AuthenticationFailed, gcm.decrypt, key, iv, bytes(bad), tag, aad)
    raises(CryptoInputError, gcm.encrypt, key, iv, pt, aad, 8)


def test_gcm_gbcs_vectors():
    with open(need_shared("vectors", "gbcs.json")) as f:
        vectors = json.load(f)["gcm"]
    assert len(vectors) >= 2
    for v in vectors:
        key = H(v["key"])
        iv = H(v["iv"])
        aad = v["aad_ascii"].encode()
        pt = v["plaintext_ascii"].encode()
        ct, tag = gcm.encrypt(key, iv, pt, aad, 12)
        assert tag == H(v["tag12"])
        if pt:
            assert ct == H(v["ciphertext"])
            assert gcm.decrypt(key, iv, ct, tag, aad) == pt
        else:
            assert gcm.gmac(key, iv, aad, 12) == H(v["tag12"])


def test_constant_time_compare():
    assert equal(b"abc", b"abc")
    assert not equal(b"abc", b"abd")
    assert not equal(b"abc", b"ab")


def test_p256_public_key_rfc6979():
    pub = p256.public_key(RFC_D)
    assert pub == H("04" + RFC_UX + RFC_UY)
    comp = p256.encode_point(p256.decode_point(pub), True)
    assert comp == H("03" + RFC_UX)  # Uy is odd
    assert p256.encode_point(p256.decode_point(comp)) == pub


def test_p256_order_and_rejections():
    assert p256.multiply(p256.N, p256.G)[2] == 0
    minus_g = p256.to_affine(p256.multiply(p256.N - 1, p256.G))
    assert minus_g == (p256.GX, p256.P - p256.GY)
    off = bytearray(H("04" + RFC_UX + RFC_UY))
    off[64] ^= 1
    e = raises(CryptoInputError, p256.decode_point, bytes(off))
    assert e.field == "point"
    raises(CryptoInputError, p256.decode_point, b"\x04" + bytes(10))
    raises(CryptoInputError, p256.scalar, bytes(32))
    raises(CryptoInputError, p256.scalar, p256.N.to_bytes(32, "big"))


def test_ecdsa_rfc6979_known_answers():
    pub = H("04" + RFC_UX + RFC_UY)
    assert ecdsa.sign(RFC_D, b"sample") == H(RFC_SAMPLE)
    assert ecdsa.sign(RFC_D, b"test") == H(RFC_TEST)
    assert ecdsa.verify(pub, b"sample", H(RFC_SAMPLE))
    assert ecdsa.verify(pub, b"test", H(RFC_TEST))
    assert not ecdsa.verify(pub, b"samplf", H(RFC_SAMPLE))
    bad = bytearray(H(RFC_SAMPLE))
    bad[40] ^= 0x80
    assert not ecdsa.verify(pub, b"sample", bytes(bad))
    assert not ecdsa.verify(pub, b"sample", bytes(64))
    raises(CryptoInputError, ecdsa.verify, pub, b"sample", bytes(63))


def test_ecdh_cavp_known_answer():
    assert p256.public_key(IUT_D) == H("04" + IUT_QX + IUT_QY)
    assert p256.ecdh(IUT_D, H("04" + CAVS_QX + CAVS_QY)) == H(IUT_Z)


def test_keypair_sign_verify_ecdh_roundtrip():
    d1, q1 = ecdsa.generate_keypair()
    d2, q2 = ecdsa.generate_keypair()
    assert d1 != d2 and len(q1) == 65
    assert p256.ecdh(d1, q2) == p256.ecdh(d2, q1)
    sig = ecdsa.sign(d1, b"gbcs")
    assert ecdsa.verify(q1, b"gbcs", sig)
    assert not ecdsa.verify(q2, b"gbcs", sig)


def test_kdf_layout_and_fields():
    z = bytes(range(32))
    orig = H("90B3D51F30010000")
    recip = H("00DB1234567890A1")
    ctr = H("00000000000003E8")
    info = kdf.other_info(orig, 1, ctr, recip)
    assert info == H("60857406080300" "90B3D51F30010000" "09" "01" "00000000000003E8" "00DB1234567890A1")
    assert kdf.derive_key(z, orig, 1, ctr, recip) == sha256(b"\x00\x00\x00\x01" + z + info)[:16]
    e = raises(CryptoInputError, kdf.other_info, orig[:7], 1, ctr, recip)
    assert e.field == "originator"
