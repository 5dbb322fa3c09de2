"""Constants and a test-side device for the DCC core tests (imported by conftest and the test modules)."""
from __future__ import annotations

from pathlib import Path

from harness.dcc.counters import CounterStore
from harness.gbcs import security
from harness.gbcs.apdu import CRA_ALERT, CRA_RESPONSE, GroupingHeader, OtherInfo
from harness.gbcs.keystore import DirectoryKeyStore

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
CHF = bytes.fromhex("00DB1234567890A2")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
NETWORK_OPERATOR = bytes.fromhex("90B3D51F30020000")
ACB = bytes.fromhex("90B3D51F30000002")


class Device:
    """The device side, built in the test from the bench SMKI's device private keys."""

    def __init__(self, keys: DirectoryKeyStore, eui: bytes):
        self.keys, self.eui = keys, eui

    def respond(self, command: GroupingHeader, payload: bytes = b"\x05\x00", *, critical: bool,
                **changes) -> bytes:
        fields = dict(cra=CRA_RESPONSE, counter=command.counter, originator=self.eui, recipient=command.originator,
                      date_time=None, other_info=command.other_info, payload=payload, signature=b"")
        fields.update(changes)
        header = GroupingHeader(**fields)
        if critical:
            return security.sign_grouping(header, self.keys.private_key(self.eui, "ds")).encode()
        peer = self.keys.public_key(header.recipient, "ka")
        return security.apply_mac(header, self.keys.private_key(self.eui, "ka"), peer).encode()

    def alert(self, counter: int, recipient: bytes, *, critical: bool, code: int = 0x1001,
              payload: bytes | None = None) -> bytes:
        if payload is None:
            payload = bytes.fromhex("0109") + counter.to_bytes(4, "big")
        header = GroupingHeader(CRA_ALERT, counter, self.eui, recipient, None, OtherInfo(code), payload, b"")
        if critical:
            return security.sign_grouping(header, self.keys.private_key(self.eui, "ds")).encode()
        peer = self.keys.public_key(recipient, "ka")
        return security.apply_mac(header, self.keys.private_key(self.eui, "ka"), peer).encode()


def counter_file(path: Path, **issued: int) -> CounterStore:
    """A counter store whose parties have already issued the given counters (name=EUI hex lower)."""
    store = CounterStore(path)
    for eui_hex, last in issued.items():
        store.reserve(bytes.fromhex(eui_hex), at_least=last)
    return store
