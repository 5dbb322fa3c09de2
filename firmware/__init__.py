"""MicroPython firmware for the bench boards (also importable under CPython for tests)."""
