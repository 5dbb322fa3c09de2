"""UTRN generation and meter-side validation (gbcs.md section 3)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from harness.errors import InputError
from harness.gbcs.keystore import DirectoryKeyStore, MemoryKeyStore
from harness.gbcs.utrn import (PPTD_BASE, Rejection, UtrnError, UtrnValidator, ValueClass, check_digit, decode,
                               generate, utrn_secret)
from harness.smki.mint import mint
from rig.commands.gbcs_utrn import utrn as utrn_cli

SUPPLIER = bytes.fromhex("90B3D51F30010000")
ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")


@pytest.fixture(scope="module")
def vectors():
    from harness.shared import load_vectors

    data = load_vectors("utrn")
    if data is None:
        pytest.skip("shared vectors/utrn.json is absent")
    return data


@pytest.fixture(scope="module")
def rtds_keys():
    from harness.shared import shared_path

    path = shared_path("rtds", "keystore")
    if path is None:
        pytest.skip("shared rtds/keystore is absent")
    return DirectoryKeyStore(path)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """A bench SMKI split in two: the supplier's side (PP private) and the meter's side (meter KA private)."""
    directory = tmp_path_factory.mktemp("smki")
    mint(directory, devices={"esme": ESME.hex()})
    full = DirectoryKeyStore(directory)
    supplier_side, meter_side = MemoryKeyStore(), MemoryKeyStore()
    supplier_side.add(SUPPLIER, "ka", full.private_key(SUPPLIER, "ka", prepayment=True), prepayment=True)
    supplier_side.add(ESME, "ka", full.public_key(ESME, "ka"))
    meter_side.add(ESME, "ka", full.private_key(ESME, "ka"))
    meter_side.add(SUPPLIER, "ka", full.public_key(SUPPLIER, "ka", prepayment=True), prepayment=True)
    return directory, utrn_secret(supplier_side, SUPPLIER, ESME), utrn_secret(meter_side, SUPPLIER, ESME)


def test_generate_vectors(vectors, rtds_keys):
    z = utrn_secret(rtds_keys, SUPPLIER, ESME)
    for case in vectors["generate"]:
        token = generate(z, SUPPLIER, ESME, int(case["counter"], 16), case["value"],
                         ValueClass[case["value_class"].upper()])
        assert token.text == case["utrn"] and token.text[:19] == case["pptd"]


def test_reject_generate_vectors(vectors, rtds_keys):
    z = utrn_secret(rtds_keys, SUPPLIER, ESME)
    for case in vectors["reject_generate"]:
        with pytest.raises(InputError) as info:
            generate(z, SUPPLIER, ESME, 1 << 32, case["value"])
        assert info.value.field == "value"


def test_verhoeff_vectors(vectors):
    for digits, expected in vectors["verhoeff_check_digit"]:
        assert check_digit(digits) == expected


def test_meter_side_vectors(vectors, rtds_keys):
    for case in vectors["meter_side"]:
        target = bytes.fromhex(case["target"])
        verdict = UtrnValidator(utrn_secret(rtds_keys, SUPPLIER, target), SUPPLIER, target).check(case["utrn"])
        if case.get("check_digit_ok") is False:
            assert verdict.reason is Rejection.BAD_CHECK_DIGIT
            continue
        assert verdict.accepted is case["mac_ok"]
        assert verdict.utrn.counter == int(case["counter"], 16)
        assert verdict.utrn.value == case["value"]
        assert verdict.utrn.value_class is ValueClass[case["value_class"].upper()]


def test_pounds_and_pennies_differ(rtds_keys):
    z = utrn_secret(rtds_keys, SUPPLIER, ESME)
    assert generate(z, SUPPLIER, ESME, 1 << 32, 100, ValueClass.POUNDS).text != \
        generate(z, SUPPLIER, ESME, 1 << 32, 100, ValueClass.PENNIES).text


def test_round_trip_between_supplier_and_meter_keys(bench):
    _, supplier_z, meter_z = bench
    assert supplier_z == meter_z
    meter = UtrnValidator(meter_z, SUPPLIER, ESME)
    for n, (value, cls) in enumerate([(0, ValueClass.PENNIES), (8191, ValueClass.POUNDS), (1500, ValueClass.PENNIES)]):
        token = generate(supplier_z, SUPPLIER, ESME, (n + 1) << 32, value, cls)
        verdict = meter.check(token.text)
        assert verdict.accepted, verdict
        assert (verdict.utrn.value, verdict.utrn.value_class, verdict.utrn.counter) == (value, cls, (n + 1) << 32)
    assert meter.cached_counters == [1 << 32, 2 << 32, 3 << 32]


def test_replay_is_refused(bench):
    _, z, _ = bench
    meter = UtrnValidator(z, SUPPLIER, ESME)
    token = generate(z, SUPPLIER, ESME, 7 << 32, 10)
    assert meter.check(token.text).accepted
    assert meter.check(token.text).reason is Rejection.REPLAYED


def test_cache_window_refuses_old_counters(bench):
    _, z, _ = bench
    meter = UtrnValidator(z, SUPPLIER, ESME, cache_size=3)
    for n in (5, 6, 7):
        assert meter.check(generate(z, SUPPLIER, ESME, n << 32, 1).text).accepted
    assert meter.check(generate(z, SUPPLIER, ESME, 4 << 32, 1).text).reason is Rejection.TOO_OLD
    assert meter.check(generate(z, SUPPLIER, ESME, 3 << 32, 1).text).reason is Rejection.TOO_OLD
    # out-of-order but above the window is fine
    assert meter.check(generate(z, SUPPLIER, ESME, 9 << 32, 1).text).accepted
    assert meter.check(generate(z, SUPPLIER, ESME, 8 << 32, 1).text).accepted
    assert meter.cached_counters == [7 << 32, 9 << 32, 8 << 32]


def test_ten_bit_counter_wraps_into_the_next_epoch(bench):
    _, z, _ = bench
    meter = UtrnValidator(z, SUPPLIER, ESME)
    assert meter.check(generate(z, SUPPLIER, ESME, 1023 << 32, 1).text).accepted
    wrapped = generate(z, SUPPLIER, ESME, 1025 << 32, 1)
    assert wrapped.ctr10 == 1
    verdict = meter.check(wrapped.text)
    assert verdict.accepted and verdict.utrn.counter == 1025 << 32


def test_bad_check_digit_and_malformed(bench):
    _, z, _ = bench
    meter = UtrnValidator(z, SUPPLIER, ESME)
    text = generate(z, SUPPLIER, ESME, 1 << 32, 10).text
    wrong = text[:19] + str((int(text[19]) + 1) % 10)
    assert meter.check(wrong).reason is Rejection.BAD_CHECK_DIGIT
    for bad in ("", "1234", text + "0", text[:19] + "x", "٣" * 20, None):
        assert meter.check(bad).reason is Rejection.MALFORMED
    with pytest.raises(UtrnError) as info:
        decode(wrong)
    assert info.value.reason is Rejection.BAD_CHECK_DIGIT and info.value.field == "utrn"


def test_range_and_value_class(bench):
    below = str(PPTD_BASE - 1)
    assert decode_reason(below + str(check_digit(below))) is Rejection.OUT_OF_RANGE
    above = str(PPTD_BASE + (1 << 57))
    assert decode_reason(above + str(check_digit(above))) is Rejection.OUT_OF_RANGE
    class2 = str(PPTD_BASE + ((2 << 13) << 32))
    assert decode_reason(class2 + str(check_digit(class2))) is Rejection.BAD_VALUE_CLASS


def decode_reason(text: str) -> Rejection | None:
    try:
        decode(text)
    except UtrnError as exc:
        return exc.reason
    return None


def test_bad_mac(bench, rtds_keys):
    _, z, _ = bench
    token = generate(z, SUPPLIER, ESME, 1 << 32, 10)
    # a valid-looking UTRN for a different meter, or with another MAC, fails the MAC check
    other = UtrnValidator(z, SUPPLIER, GSME)
    assert other.check(token.text).reason is Rejection.BAD_MAC
    pptd = str(int(token.text[:19]) ^ 1)
    assert UtrnValidator(z, SUPPLIER, ESME).check(pptd + str(check_digit(pptd))).reason is Rejection.BAD_MAC
    rtds_z = utrn_secret(rtds_keys, SUPPLIER, ESME)
    assert UtrnValidator(rtds_z, SUPPLIER, ESME).check(token.text).reason is Rejection.BAD_MAC


def test_credit_limits(bench):
    _, z, _ = bench
    meter = UtrnValidator(z, SUPPLIER, ESME, max_top_up=5000, max_credit=10000)
    too_big = generate(z, SUPPLIER, ESME, 1 << 32, 51, ValueClass.POUNDS)
    assert meter.check(too_big.text).reason is Rejection.EXCEEDS_MAX_TOP_UP
    ok = generate(z, SUPPLIER, ESME, 2 << 32, 50, ValueClass.POUNDS)
    assert meter.check(ok.text, balance=6000).reason is Rejection.EXCEEDS_CREDIT_LIMIT
    assert meter.check(ok.text, balance=5000).accepted
    assert meter.cached_counters == [2 << 32], "rejected UTRNs leave the cache alone"


@pytest.mark.parametrize("kwargs,field", [({"counter": (1 << 32) + 1}, "counter"), ({"counter": -1}, "counter"),
                                          ({"counter": 1 << 64}, "counter"), ({"value": True}, "value"),
                                          ({"value_class": 2}, "value_class"), ({"value_class": "pounds"}, "value_class"),
                                          ({"supplier": b"\x00" * 7}, "supplier")])
def test_generate_rejects_bad_inputs(bench, kwargs, field):
    _, z, _ = bench
    args = {"supplier": SUPPLIER, "target": ESME, "counter": 1 << 32, "value": 1} | kwargs
    with pytest.raises(InputError) as info:
        generate(z, **args)
    assert info.value.field == field


def test_cli_generate_and_check(bench):
    directory, _, _ = bench
    runner = CliRunner()
    common = ["--keystore", str(directory), "--supplier", SUPPLIER.hex(), "--target", ESME.hex().upper()]
    gen = runner.invoke(utrn_cli, ["generate", *common, "--counter", str(3 << 32), "--value", "25", "--class",
                                   "pounds", "--json"])
    assert gen.exit_code == 0, gen.output
    token = json.loads(gen.output)
    assert token["counter"] == "0000000300000000" and token["value_class"] == "pounds"
    chk = runner.invoke(utrn_cli, ["check", token["utrn"], *common, "--json"])
    assert chk.exit_code == 0, chk.output
    assert json.loads(chk.output) == {"utrn": token["utrn"], "accepted": True, "reason": None,
                                           "counter": "0000000300000000", "value": 25, "value_class": "pounds",
                                           "pennies": 2500}
    limited = runner.invoke(utrn_cli, ["check", token["utrn"], *common, "--max-top-up", "2000"])
    assert limited.exit_code == 1 and "maximum credit per top-up" in limited.output
    plain = runner.invoke(utrn_cli, ["generate", *common, "--counter", "0x100000000", "--value", "1"])
    assert plain.exit_code == 0 and len(plain.output.strip()) == 20


def test_cli_errors(bench, tmp_path):
    directory, _, _ = bench
    runner = CliRunner()
    common = ["--keystore", str(directory), "--supplier", SUPPLIER.hex(), "--target", ESME.hex()]
    assert runner.invoke(utrn_cli, ["generate", *common, "--counter", "5", "--value", "1"]).exit_code == 2
    assert runner.invoke(utrn_cli, ["generate", *common, "--counter", "zz", "--value", "1"]).exit_code == 2
    assert runner.invoke(utrn_cli, ["generate", *common, "--counter", "0x100000000", "--value", "9000"]).exit_code == 2
    missing = runner.invoke(utrn_cli, ["check", "1" * 20, "--keystore", str(tmp_path), "--supplier", SUPPLIER.hex(),
                                       "--target", ESME.hex()])
    assert missing.exit_code == 2 and "prepayment" in missing.output
    bad = runner.invoke(utrn_cli, ["check", "12345678910121314156", *common, "--json"])
    assert bad.exit_code == 1 and json.loads(bad.output)["reason"] == "bad check digit"
