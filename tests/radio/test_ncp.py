"""The emulated EmberZNet NCP (emulators/ncp) on its own and against bellows, unmodified, over a pty: UG101 ASH
vectors and faults, EZSP schema round trips against bellows' own schemas at each version, tokens across a reset."""
from __future__ import annotations

import pytest
from bellows.ezsp import EZSP
import bellows.types as t

from emulators.ncp import framing
from emulators.ncp.ash import RESET_POWER_ON, Faults, crc_ccitt, randomise, stuff, unstuff
from emulators.ncp.commands import Status, table
from emulators.ncp.wire import Counted, Int, LengthPrefixed, Octets, Struct, pack_fields, unpack_fields
from harness.errors import InputError, RadioFault
from rig.radios.ezsp import EzspRadio

NCP_EUI = 0x000D6F0000ABCDEF
NETWORK_KEY = bytes(range(16))
VERSIONS = (4, 5, 7, 8, 13, 14, 18, 19)


def test_ash_known_frames():
    # UG101: the host's RST frame is C0 38 BC 7E; the NCP's RSTACK (version 2, power-on reset 2) is C1 02 02 9B 7B 7E
    assert stuff(b"\xc0" + crc_ccitt(b"\xc0").to_bytes(2, "big")) == bytes.fromhex("C038BC7E")
    assert stuff(b"\xc1\x02\x02" + crc_ccitt(b"\xc1\x02\x02").to_bytes(2, "big")) == bytes.fromhex("C102029B7B7E")
    assert randomise(bytes(5)) == bytes.fromhex("42 21 A8 54 2A")   # UG101 pseudo-random sequence start
    # UG101 ACK(1)+ = 81 60 59 7E; a reserved byte is escaped
    assert stuff(b"\x81" + crc_ccitt(b"\x81").to_bytes(2, "big")) == bytes.fromhex("8160597E")
    assert stuff(b"\x7e\x11") == b"\x7d\x5e\x7d\x31\x7e" and unstuff(b"\x7d\x5e\x7d\x31") == b"\x7e\x11"
    assert unstuff(b"\x7d\x41") is None     # escaping a byte that is not reserved


def test_ezsp_headers_per_layout():
    assert framing.decode(bytes([7, 0, 0, 8])) == (framing.Header(7, 0, 0x00, framing.LEGACY), b"\x08")
    assert framing.decode(bytes([7, 0, 0xFF, 0, 0x26])) == (framing.Header(7, 0, 0x26, framing.EXTENDED), b"")
    assert framing.decode(bytes([7, 0, 1, 0x11, 0x01, 9])) == (framing.Header(7, 0x100, 0x111, framing.V8), b"\x09")
    assert framing.encode(7, 0x26, framing.EXTENDED) == bytes([7, 0x80, 0xFF, 0, 0x26])
    assert framing.encode(7, 0x19, framing.V8, callback=True) == bytes([7, 0x90, 1, 0x19, 0])
    with pytest.raises(InputError):
        framing.decode(b"\x01\x00")


def _sample(codec, i: int):
    if isinstance(codec, Status):
        return 0x15 if codec.kind == 2 else 0x90
    if isinstance(codec, Int):
        return 1 if codec.fmt != "<b" else -40
    if isinstance(codec, Octets):
        return 0x0A0B0C0D0E0F1000 + i if codec.as_int else bytes(range(i, i + codec.size))
    if isinstance(codec, LengthPrefixed):
        return bytes([0x7E, i, 0x11])
    if isinstance(codec, Struct):
        return {name: _sample(c, i + n) for n, (name, c) in enumerate(codec.fields)}
    raise AssertionError(codec)


def _samples(fields) -> dict:
    values = {name: _sample(codec, n) for n, (name, codec) in enumerate(fields) if not isinstance(codec, Counted)}
    for name, codec in fields:
        if isinstance(codec, Counted):
            values[codec.count_field], values[name] = 2, [0x0702, 0x0800]
    return values


@pytest.mark.parametrize("version", VERSIONS)
def test_schemas_round_trip_with_bellows(version):
    """Every frame the NCP knows: its id is bellows' id, and what it packs bellows reads back whole and re-packs to
    the same octets (requests and responses)."""
    theirs = EZSP._BY_VERSION[version].COMMANDS
    checked = 0
    for name, frame in table(version).items():
        assert name in theirs, f"v{version} {name}: not a frame bellows knows"
        their_id, their_request, their_response = theirs[name]
        assert frame.id == their_id, f"v{version} {name}: id 0x{frame.id:x} vs 0x{their_id:x}"
        for ours, schema in ((frame.request, their_request), (frame.response, their_response)):
            if not isinstance(schema, dict):
                continue
            raw = pack_fields(ours, _samples(ours))
            parsed, rest = t.deserialize_dict(raw, schema)
            assert rest == b"", f"v{version} {name}: bellows left {rest.hex()}"
            assert t.serialize_dict([], parsed, schema) == raw, f"v{version} {name}"
            assert pack_fields(ours, unpack_fields(ours, raw)) == raw
            checked += 1
    assert checked > 60


@pytest.mark.parametrize("version", VERSIONS)
def test_bellows_negotiates_each_version(ncps, version):
    ncp, port = ncps.add(NCP_EUI, version=version)
    radio = EzspRadio(port)
    try:
        assert (radio.ezsp_version, radio.eui64) == (version, NCP_EUI)
        net = radio.form_network(15, 0x1A2B, NETWORK_KEY)
        assert net.extended_pan_id == NCP_EUI and ncp.stack.air.network().pan_id == 0x1A2B
    finally:
        radio.close()
    asked = [args["desiredProtocolVersion"] for name, args in ncp.commands if name == "version"]
    assert asked == ([4] if version == 4 else [4, version])     # legacy header first, then the version's own


FAULTS = [
    ("outbound", "drop"),        # response lost: the NCP's T_RX_ACK expires and it retransmits
    ("outbound", "corrupt"),     # bad CRC at the host: bellows NAKs, the NCP retransmits at once
    ("outbound", "duplicate"),   # the host sees the frame twice and keeps one
    ("inbound", "drop"),         # command lost: bellows retransmits
    ("inbound", "corrupt"),      # the NCP NAKs the damaged frame, bellows retransmits
    ("inbound", "duplicate"),    # the NCP delivers the command once
]


@pytest.mark.parametrize("direction,action", FAULTS)
def test_ash_recovers_from_line_faults(ncps, direction, action):
    faults = Faults(**{direction: {3: action}})
    ncp, port = ncps.add(NCP_EUI, version=13, faults=faults)
    radio = EzspRadio(port)
    try:
        radio.form_network(15, 0x1A2B, NETWORK_KEY)
    finally:
        radio.close()
    assert faults.applied == [(direction[:2] if direction == "inbound" else "out", 3, action)]
    served = [n for n, _ in ncp.commands]
    assert served.count("formNetwork") == 1 and served.count("getEui64") == 1
    stats = ncp.ash.stats
    if (direction, action) == ("outbound", "drop"):
        assert stats.retransmissions >= 1
    if (direction, action) == ("outbound", "corrupt"):
        assert stats.naks_received >= 1 and stats.retransmissions >= 1
    if (direction, action) == ("inbound", "corrupt"):
        assert stats.naks_sent >= 1
    if (direction, action) == ("inbound", "duplicate"):
        assert stats.naks_sent + stats.rx_duplicates >= 1


def test_reset_mid_command_is_a_radio_fault(ncps):
    faults = Faults(inbound={13: "reset"})      # the NCP resets as formNetwork (the 14th command) arrives
    _ncp, port = ncps.add(NCP_EUI, version=13, faults=faults)
    radio = EzspRadio(port)
    try:
        with pytest.raises(RadioFault, match="(?i)reset"):
            radio.form_network(15, 0x1A2B, NETWORK_KEY)
    finally:
        radio.close()


def test_tokens_survive_a_reset(ncps):
    ncp, port = ncps.add(NCP_EUI, version=14)
    radio = EzspRadio(port)
    radio.form_network(15, 0x1A2B, NETWORK_KEY)
    radio.close()
    counter = ncp.stack.air.counters()[0]
    with ncps._lock:
        ncp.ash.reset(RESET_POWER_ON)
        assert ncp.stack.air.network() is None and not ncp.negotiated     # RAM state gone
        assert ncp.stack.networkInit() == {"status": "ok"}
        net = ncp.stack.air.network()
        assert (net.pan_id, net.network_key) == (0x1A2B, NETWORK_KEY)
        assert ncp.stack.air.counters()[0] >= counter + 4096    # the frame counter skips ahead, never repeats
