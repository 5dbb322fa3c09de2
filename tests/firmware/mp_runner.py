# Runs MicroPython-compatible test modules under the MicroPython unix port.
# Usage: micropython mp_runner.py PROJECT_ROOT MODULE [MODULE ...]
# Each module's functions named test_* are called with no arguments; a test may raise
# SkipTest (from fwtest) to be skipped. Prints one line per test and a closing
# "N passed, N failed, N skipped" line; exits 1 on any failure.
import sys


def main(argv):
    root = argv[1]
    sys.path.insert(0, root + "/tests/firmware")
    sys.path.insert(0, root)
    from fwtest import SkipTest

    passed = failed = skipped = 0
    for name in argv[2:]:
        mod = __import__(name)
        for attr in sorted(dir(mod)):
            if not attr.startswith("test_"):
                continue
            fn = getattr(mod, attr)
            try:
                fn()
            except SkipTest as e:
                skipped += 1
                print("SKIP", name, attr, e)
            except Exception as e:  # noqa: BLE001 - report every failure
                failed += 1
                print("FAIL", name, attr, repr(e))
                sys.print_exception(e)
            else:
                passed += 1
                print("PASS", name, attr)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed else 0)


main(sys.argv)
