"""The DCC core on a bench SMKI: commands verify with the GBCS verifier; responses and alerts are matched,
verified and refused with the right reason."""
from __future__ import annotations

import pytest
from dcc_fixtures import ACB, ESME, GSME, NETWORK_OPERATOR, SUPPLIER, Device

from harness.dcc.core import DccCore
from harness.dcc.counters import CounterStore
from harness.dcc.errors import MissingKey, Reason, Rejected
from harness.errors import BenchFault, InputError
from harness.gbcs.apdu import CRA_COMMAND, GroupingHeader, Message, OtherInfo
from harness.gbcs.keystore import MemoryKeyStore
from harness.gbcs.utrn import ValueClass, decode as decode_utrn, generate, utrn_secret
from harness.gbcs.verify import verify

CS11 = bytes.fromhex("0109010107090004 01000103")


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def _reason(core: DccCore, data: bytes) -> Reason:
    with pytest.raises(Rejected) as info:
        core.receive(data)
    assert isinstance(info.value, InputError)
    return info.value.reason


def test_commands_verify_with_the_gbcs_verifier(bench_core, bench_keys):
    plain = bench_core.command(SUPPLIER, ESME, 0x0015, CS11)
    result = verify(plain.data, bench_keys, acb=ACB)
    assert (result.mac, result.signature) == ("valid", "absent")
    critical = bench_core.command(SUPPLIER, ESME, 0x0062, CS11, critical=True)
    result = verify(critical.data, bench_keys, acb=ACB)
    assert (result.mac, result.signature) == ("valid", "valid")
    assert critical.header.counter > plain.header.counter
    tampered = verify(_flip(critical.data, len(critical.data) - 20), bench_keys, acb=ACB)
    assert tampered.mac == "invalid" and tampered.signature == "invalid"


def test_counters_strictly_increase_and_survive_reopen(bench_keys, tmp_path):
    path = tmp_path / "counters.json"
    core = DccCore(bench_keys, CounterStore(path))
    first = [core.command(SUPPLIER, ESME, 0x0015, CS11).header.counter for _ in range(3)]
    unsent = core.precommand(SUPPLIER, ESME, 0x0015, CS11)  # reserved, never sent: still never reused
    assert first == sorted(set(first))
    reopened = DccCore(bench_keys, CounterStore(path))
    again = reopened.command(SUPPLIER, ESME, 0x0015, CS11)
    assert again.header.counter > unsent.counter > max(first)
    assert reopened.command(NETWORK_OPERATOR, ESME, 0x0015, CS11).header.counter == 1  # 0 is never issued


def test_send_refuses_a_counter_it_did_not_reserve_or_already_sent(bench_core):
    header = bench_core.precommand(SUPPLIER, ESME, 0x0015, CS11)
    bench_core.send(header, critical=False)
    with pytest.raises(ValueError, match="already been sent"):
        bench_core.send(header, critical=False)
    with pytest.raises(ValueError, match="not reserved"):
        bench_core.send(GroupingHeader(CRA_COMMAND, header.counter + 100, SUPPLIER, ESME, None, OtherInfo(0x15), CS11,
                                       None), critical=False)


def test_critical_send_needs_the_krp_signature(bench_core):
    header = bench_core.precommand(SUPPLIER, ESME, 0x0062, CS11)
    with pytest.raises(ValueError, match="signature"):
        bench_core.send(header, critical=True)
    with pytest.raises(ValueError, match="null signature"):
        bench_core.send(bench_core.sign(header), critical=False)


def test_utrn_command_counter_is_the_utrn_counter(bench_core, bench_keys):
    bench_core.command(SUPPLIER, ESME, 0x0015, CS11)
    z = utrn_secret(bench_keys, SUPPLIER, ESME)

    def top_up(counter: int) -> bytes:
        return generate(z, SUPPLIER, ESME, counter, 10, ValueClass.POUNDS).text.encode()

    sent = bench_core.command(SUPPLIER, ESME, 0x0007, top_up, critical=True, align=1 << 32)
    assert sent.header.counter == 1 << 32
    assert decode_utrn(sent.header.payload.decode()).ctr10 == 1


def test_responses_by_criticality(bench_core, esme):
    plain = bench_core.command(SUPPLIER, ESME, 0x0015, CS11)
    critical = bench_core.command(SUPPLIER, ESME, 0x0062, CS11, critical=True)
    assert len(bench_core.outstanding) == 2
    got = bench_core.receive(esme.respond(critical.header, critical=True))
    assert got.command is critical and got.kind == "response"
    assert bench_core.receive(esme.respond(plain.header, critical=False)).command is plain
    assert bench_core.outstanding == []


def test_acb_originated_response_echoes_the_supplementary_fields(bench_core, esme):
    sent = bench_core.acb_command(SUPPLIER, ESME, 0x0001, CS11)
    assert sent.header.originator == ACB
    assert sent.header.other_info.supplementary_remote_party_id == SUPPLIER
    assert bench_core.receive(esme.respond(sent.header, critical=False)).command is sent


def test_bad_mac(bench_core, esme):
    sent = bench_core.command(SUPPLIER, ESME, 0x0015, CS11)
    good = esme.respond(sent.header, critical=False)
    assert _reason(bench_core, _flip(good, len(good) - 1)) is Reason.BAD_MAC
    assert _reason(bench_core, _flip(good, len(good) - 14)) is Reason.BAD_MAC  # content byte
    assert bench_core.receive(good).command is sent  # the forgery did not consume the command


def test_bad_signature(bench_core, esme):
    sent = bench_core.command(SUPPLIER, ESME, 0x0062, CS11, critical=True)
    signed = esme.respond(sent.header, critical=True)
    assert _reason(bench_core, _flip(signed, len(signed) - 1)) is Reason.BAD_SIGNATURE
    # a critical command's response must be signed: a MAC alone is not enough
    assert _reason(bench_core, esme.respond(sent.header, critical=False)) is Reason.BAD_SIGNATURE
    assert bench_core.receive(signed).command is sent


def test_unknown_originator(bench_core, esme, bench_keys):
    sent = bench_core.command(SUPPLIER, ESME, 0x0015, CS11)
    gsme = Device(bench_keys, GSME)
    assert _reason(bench_core, gsme.respond(sent.header, critical=False)) is Reason.UNKNOWN_ORIGINATOR
    stranger_keys = MemoryKeyStore()
    stranger_keys.add(SUPPLIER, "ka", bench_keys.public_key(SUPPLIER, "ka"))
    stranger_keys.add(bytes.fromhex("00DB1234567890FF"), "ka", bench_keys.private_key(ESME, "ka"))
    stranger = Device(stranger_keys, bytes.fromhex("00DB1234567890FF"))
    assert _reason(bench_core, stranger.alert(5, SUPPLIER, critical=False)) is Reason.UNKNOWN_ORIGINATOR


def test_wrong_recipient(bench_core, esme):
    sent = bench_core.command(SUPPLIER, ESME, 0x0015, CS11)
    elsewhere = bytes.fromhex("90B3D51F300100FF")
    assert _reason(bench_core, esme.respond(sent.header, critical=False, recipient=NETWORK_OPERATOR)) \
        is Reason.WRONG_RECIPIENT
    assert _reason(bench_core, esme.alert(9, elsewhere, critical=True)) is Reason.WRONG_RECIPIENT


def test_replayed_and_unmatched_responses(bench_core, esme):
    sent = bench_core.command(SUPPLIER, ESME, 0x0015, CS11)
    response = esme.respond(sent.header, critical=False)
    bench_core.receive(response)
    assert _reason(bench_core, response) is Reason.REPLAYED_COUNTER
    never = GroupingHeader(CRA_COMMAND, 999, SUPPLIER, ESME, None, OtherInfo(0x15), CS11, b"")
    assert _reason(bench_core, esme.respond(never, critical=False)) is Reason.UNMATCHED


def test_malformed(bench_core, esme):
    sent = bench_core.command(SUPPLIER, ESME, 0x0015, CS11)
    response = esme.respond(sent.header, critical=False)
    for data in (b"", b"\x00", response[:-13], response[:20], bytes(100)):
        assert _reason(bench_core, data) is Reason.MALFORMED
    assert _reason(bench_core, sent.data) is Reason.MALFORMED  # a command is not a response
    assert _reason(bench_core, esme.respond(sent.header, critical=False, other_info=OtherInfo(0x16))) \
        is Reason.MALFORMED


def test_alerts(bench_core, esme):
    assert bench_core.receive(esme.alert(0x7D1, SUPPLIER, critical=True)).kind == "alert"
    assert bench_core.receive(esme.alert(0x7D2, ACB, critical=False)).kind == "alert"
    assert _reason(bench_core, esme.alert(0x7D2, SUPPLIER, critical=False)) is Reason.REPLAYED_COUNTER
    assert _reason(bench_core, esme.alert(0x7D0, SUPPLIER, critical=True)) is Reason.REPLAYED_COUNTER
    forged = esme.alert(0x900, SUPPLIER, critical=False)
    assert _reason(bench_core, _flip(forged, len(forged) - 1)) is Reason.BAD_MAC
    assert bench_core.receive(forged)  # a refused forgery does not advance the counter
    signed = esme.alert(0x901, SUPPLIER, critical=True)
    assert _reason(bench_core, _flip(signed, 36)) is Reason.BAD_SIGNATURE  # a payload byte
    bare = Message.decode(signed).grouping.with_signature(b"").encode()
    assert _reason(bench_core, bare) is Reason.BAD_SIGNATURE


def test_alert_counters_persist(bench_keys, esme, tmp_path):
    path = tmp_path / "c.json"
    DccCore(bench_keys, CounterStore(path)).receive(esme.alert(50, SUPPLIER, critical=True))
    assert _reason(DccCore(bench_keys, CounterStore(path)), esme.alert(50, SUPPLIER, critical=True)) \
        is Reason.REPLAYED_COUNTER


def test_missing_keys_are_bench_faults(bench_keys, tmp_path):
    keys = MemoryKeyStore()
    keys.add(ACB, "ka", bench_keys.private_key(ACB, "ka"))
    core = DccCore(keys, CounterStore(tmp_path / "c.json"))
    with pytest.raises(MissingKey) as info:
        core.command(SUPPLIER, ESME, 0x0015, CS11)
    assert isinstance(info.value, BenchFault)
    with pytest.raises(MissingKey):
        core.command(SUPPLIER, ESME, 0x0062, CS11, critical=True)
    with pytest.raises(MissingKey):
        core.command(bytes.fromhex("1122334455667788"), ESME, 0x0015, CS11)


def test_bare_signed_command_from_recovery(bench_core, bench_keys, esme):
    recovery = bytes.fromhex("90B3D51F30000001")
    header = bench_core.sign(bench_core.precommand(recovery, ESME, 0x0108, b"\x05\x00"))
    sent = bench_core.send(header, critical=True, mac=False)
    result = verify(sent.data, bench_keys, acb=ACB)
    assert sent.data[0] == 0xDF and (result.mac, result.signature) == ("absent", "valid")
    assert bench_core.receive(esme.respond(sent.header, critical=True)).command is sent
    with pytest.raises(ValueError, match="must be critical"):
        bench_core.send(bench_core.precommand(recovery, ESME, 0x0108, b"\x05\x00"), critical=False, mac=False)
