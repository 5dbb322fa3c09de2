"""Device-side GBCS: message framing (frame), BER lengths (ber), MAC/signature (security), the device's
command checks, responses and alerts (device), section 8 content encryption (protect) and payload helpers
(gbz, dlms, der). Runs under MicroPython and CPython; uses firmware.crypto only.
"""
