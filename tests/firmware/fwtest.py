# Helpers for firmware unit tests that run both under CPython (pytest) and under MicroPython.
import os

try:
    import pytest

    SkipTest = pytest.skip.Exception
except ImportError:  # MicroPython

    class SkipTest(Exception):
        pass


def skip(reason):
    raise SkipTest(reason)


def shared_dir():
    """Path of ../shared (or $RIG_SHARED), or None when absent."""
    path = os.getenv("RIG_SHARED")
    if not path:
        here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
        path = here + "/../../../shared"
    try:
        os.stat(path)
    except OSError:
        return None
    return path


def need_shared(*parts):
    """Path inside shared/, skipping the test when it is absent."""
    base = shared_dir()
    if base is None:
        skip("shared material is absent (expected ../shared beside the checkout, or set RIG_SHARED)")
    path = base + "/" + "/".join(parts)
    try:
        os.stat(path)
    except OSError:
        skip("shared material %s is absent" % "/".join(parts))
    return path
