"""AES-128 single-block encryption: `cryptolib` when the port has it, else a table implementation."""
from .errors import CryptoInputError

try:
    import cryptolib as _cryptolib
except ImportError:
    _cryptolib = None


def _xtime(a):
    a <<= 1
    return (a ^ 0x11B) if a & 0x100 else a


def _gmul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = _xtime(a)
        b >>= 1
    return r


def _build_sbox():
    exp = [0] * 256
    log = [0] * 256
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        x = _gmul(x, 3)
    inv = [0] * 256
    for a in range(1, 256):
        inv[a] = exp[(255 - log[a]) % 255]
    box = []
    for a in range(256):
        x = inv[a]
        s = x
        for _ in range(4):
            x = ((x << 1) | (x >> 7)) & 0xFF
            s ^= x
        box.append(s ^ 0x63)
    return box


_SBOX = None
_T = None


def _tables():
    global _SBOX, _T
    if _T is None:
        _SBOX = _build_sbox()
        t0 = []
        for s in _SBOX:
            t0.append((_xtime(s) << 24) | (s << 16) | (s << 8) | (_xtime(s) ^ s))
        t1 = [((w >> 8) | (w << 24)) & 0xFFFFFFFF for w in t0]
        t2 = [((w >> 8) | (w << 24)) & 0xFFFFFFFF for w in t1]
        t3 = [((w >> 8) | (w << 24)) & 0xFFFFFFFF for w in t2]
        _T = (t0, t1, t2, t3)
    return _SBOX, _T


def _expand(key):
    sbox = _tables()[0]
    w = [int.from_bytes(key[i:i + 4], "big") for i in range(0, 16, 4)]
    rcon = 1
    for i in range(4, 44):
        t = w[i - 1]
        if i % 4 == 0:
            t = ((sbox[(t >> 16) & 0xFF] << 24) | (sbox[(t >> 8) & 0xFF] << 16)
                 | (sbox[t & 0xFF] << 8) | sbox[t >> 24]) ^ (rcon << 24)
            rcon = _xtime(rcon)
        w.append(w[i - 4] ^ t)
    return w


class _TableAES:
    """FIPS-197 AES-128 encryption with four 256-entry T-tables."""

    def __init__(self, key):
        self._w = _expand(key)

    def encrypt(self, block):
        sbox, (t0, t1, t2, t3) = _tables()
        w = self._w
        s0 = int.from_bytes(block[0:4], "big") ^ w[0]
        s1 = int.from_bytes(block[4:8], "big") ^ w[1]
        s2 = int.from_bytes(block[8:12], "big") ^ w[2]
        s3 = int.from_bytes(block[12:16], "big") ^ w[3]
        for r in range(1, 10):
            k = 4 * r
            n0 = t0[s0 >> 24] ^ t1[(s1 >> 16) & 0xFF] ^ t2[(s2 >> 8) & 0xFF] ^ t3[s3 & 0xFF] ^ w[k]
            n1 = t0[s1 >> 24] ^ t1[(s2 >> 16) & 0xFF] ^ t2[(s3 >> 8) & 0xFF] ^ t3[s0 & 0xFF] ^ w[k + 1]
            n2 = t0[s2 >> 24] ^ t1[(s3 >> 16) & 0xFF] ^ t2[(s0 >> 8) & 0xFF] ^ t3[s1 & 0xFF] ^ w[k + 2]
            n3 = t0[s3 >> 24] ^ t1[(s0 >> 16) & 0xFF] ^ t2[(s1 >> 8) & 0xFF] ^ t3[s2 & 0xFF] ^ w[k + 3]
            s0, s1, s2, s3 = n0, n1, n2, n3
        out = bytearray(16)
        st = (s0, s1, s2, s3)
        for c in range(4):
            v = ((sbox[st[c] >> 24] << 24) | (sbox[(st[(c + 1) % 4] >> 16) & 0xFF] << 16)
                 | (sbox[(st[(c + 2) % 4] >> 8) & 0xFF] << 8) | sbox[st[(c + 3) % 4] & 0xFF]) ^ w[40 + c]
            out[4 * c:4 * c + 4] = v.to_bytes(4, "big")
        return bytes(out)


class AES128:
    """An AES-128 key schedule; ``encrypt_block(16 bytes) -> 16 bytes``."""

    def __init__(self, key):
        if len(key) != 16:
            raise CryptoInputError("AES-128 key must be 16 bytes, got %d" % len(key), "key")
        if _cryptolib is not None:
            self._impl = _cryptolib.aes(bytes(key), 1)
        else:
            self._impl = _TableAES(key)

    def encrypt_block(self, block):
        if len(block) != 16:
            raise CryptoInputError("AES block must be 16 bytes", "block")
        return bytes(self._impl.encrypt(bytes(block)))


def backend():
    """'cryptolib' or 'table': which implementation AES128 uses on this interpreter."""
    return "table" if _cryptolib is None else "cryptolib"
