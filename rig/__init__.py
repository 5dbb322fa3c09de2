"""GB HAN conformance rig: CLI, bench descriptions, boards, radios and orchestration."""

__version__ = "0.1.0"
