"""Device-side cryptography for the board firmware (MicroPython and CPython).

SHA-256 and HMAC (hashing), AES-128 (aes), GCM/GMAC (gcm), P-256 ECDH/ECDSA (p256, ecdsa),
the GBCS key derivation (kdf) and constant-time comparison (compare). Never imports `cryptography`.
"""
