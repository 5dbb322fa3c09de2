"""Constant-time byte-string comparison."""


def equal(a, b):
    """True when ``a`` and ``b`` are equal; the time depends only on the lengths."""
    if len(a) != len(b):
        return False
    acc = 0
    for i in range(len(a)):
        acc |= a[i] ^ b[i]
    return acc == 0
