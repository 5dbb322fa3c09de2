"""DCC core: remote parties, the ACB, persisted counters, and verification of responses and alerts.

Transport-neutral: it produces the bytes to send and consumes the bytes received.
"""
