"""The conformance suites catch real non-conformance, case by case and from outside: with each named defect
injected into the emulator of role R, run sealed as the device under test (`--dut R`: the tests hold no handle on
its insides, as with a real device), the cases that check the rule it breaks FAIL (never ERROR), and every
conformance test case (each nodeid, parameters included) FAILs under at least one defect, and a run with 10% radio
loss FAILs nothing (lost frames are retried, or ERROR). The run with no defect is the suite itself (tests/conformance,
collected by the same `make test`); here its cases are only collected, to know every nodeid the defects must cover.

Bounded on a loaded 2-core machine: one run of the whole suite under radio loss, and per defect a run of only the
tests that check the rule it breaks (`AFFECTS`; a defect not listed runs the whole suite). Two runs
at a time, each in its own process group under its own timeout; past the matrix deadline, runs not started are
cancelled and running ones killed. Every failure message carries the run's return code and the tail of its stderr.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from emulators.defects import known_defects
from harness.shared import PROJECT_ROOT

SUITE = PROJECT_ROOT / "tests" / "conformance"
DEFECTS = sorted(f"{role}:{name}" for role, names in known_defects().items() for name in names)
RUN_TIMEOUT = 300.0       # seconds a scoped run may take (~10 s unloaded)
SUITE_TIMEOUT = 1200.0    # seconds a run of the whole suite may take (108 cases: ~330 s at load 7)
MATRIX_DEADLINE = 1500.0  # seconds for the whole matrix (89 runs: ~12 min at load 7)
WORKERS = 2
STDERR_TAIL = 1500
LOSSY = "loss"
LOSS_OPTIONS = ("--loss", "0.1", "--seed", "3")  # one 10% seed; bench/loss_sweep.py sweeps 10% and 30% x 5 seeds

pytestmark = pytest.mark.timeout(MATRIX_DEADLINE + RUN_TIMEOUT)

JOIN, INTERPAN = "test_han_join.py", "test_hht_interpan.py"
LOCAL, UTRN = "test_hht_local_commands.py", "test_utrn_keypad.py"
COMMISSION, CRITICAL = "test_commissioning.py", "test_critical_commands.py"
CARRIAGE, PAIRING = "test_han_carriage.py", "test_pairing.py"
OTA, ANCHORS = "test_ota.py", "test_trust_anchors.py"
OTA_PPMID, OTA_POWER_CUT = "test_ota_ppmid.py", "test_ota_power_cut.py"
OTA_FUTURE_DATED = f"{OTA}::test_future_dated_cs06_survives_a_power_cut_runs_at_its_time_and_reports_0x00ca"
PREPAY, MIRROR, SUPPLY = "test_prepayment_and_supply.py", "test_gas_mirror.py", "test_supply_control.py"
PPMID, ALCS = "test_ppmid.py", "test_alcs_calendar.py"
# Each device's own GBCS checks (firmware/roles/device_gbcs.py), played by the ESME, GSME and PPMID boards.
DEVICE_GBCS = {
    "skip_krp_check": (f"{CRITICAL}::test_critical_command_without_a_valid_signature_is_refused",),
    "no_anti_replay": (f"{CRITICAL}::test_replayed_critical_command_is_refused",),
    "execute_before_verify": (CRITICAL,),
    "unsigned_response": (CRITICAL, COMMISSION, f"{PAIRING}::test_ppmid_joins_the_esme_and_inherits_its_status",
                          f"{PAIRING}::test_unjoin_removes_the_partner_from_the_device_log"),
}
METER_UTRN = {
    "utrn_no_replay_check": (f"{UTRN}::test_same_utrn_twice_is_rejected",
                             f"{PREPAY}::test_remote_utrn_typed_again_is_refused"),
    "utrn_accept_bad_mac": (f"{UTRN}::test_utrn_with_another_suppliers_key_is_rejected",),
    "utrn_ignore_limits": (f"{UTRN}::test_utrn_beyond_the_credit_limits_is_rejected",),
    "utrn_skip_check_digit": (f"{UTRN}::test_wrong_check_digit_is_rejected",),
    # (a £5 UTRN credited as 5p: the low-credit test's positive control fails)
    "utrn_value_class_ignored": (f"{UTRN}::test_keypad_utrn_adds_credit", f"{PREPAY}::test_remote_top_up_credits_once",
                                 f"{PREPAY}::test_low_credit_is_shown_and_alerted_with_the_supply_left_on"),
    "remote_utrn_no_replay_check": (f"{PREPAY}::test_utrn_typed_first_is_refused_by_srv_2_2",),
    "no_local_top_up_response": (f"{PREPAY}::test_keypad_top_up_is_reported_to_the_supplier",),
    "no_credit_added_alert": (f"{PREPAY}::test_keypad_top_up_is_reported_to_the_supplier",),
    "supply_enabled_without_consumer": (
        f"{PREPAY}::test_credit_runs_out_then_top_up_arms_and_the_consumer_enables",
        f"{SUPPLY}::test_disable_then_arm_then_the_consumer_enables",
        f"{SUPPLY}::test_gsme_cannot_be_enabled_remotely", f"{SUPPLY}::test_load_limit_breach_arms_then_restores_the_supply"),
    "remote_ec_needs_pin": (f"{PREPAY}::test_remote_emergency_credit_needs_no_pin_and_is_given_once",),
    "ec_ignores_privacy_pin": (f"{PREPAY}::test_local_emergency_credit_needs_the_privacy_pin_once_one_is_set",
                               f"{PPMID}::test_emergency_credit_from_the_ppmid_is_refused_while_a_privacy_pin_is_set"),
    "ppmid_ec_ignored": (f"{PPMID}::test_emergency_credit_selected_on_the_ppmid_is_given_by_the_meter",),
    "supply_preconditions_unchecked": (
        f"{SUPPLY}::test_arm_and_enable_change_nothing_when_the_supply_was_disabled_for_credit",),
}
# The tests (suite module or module::function, all its parameters) that check the rule each defect breaks.
AFFECTS: dict[str, tuple[str, ...]] = {
    "chf:admit_unlisted": (f"{JOIN}::test_unlisted_device_refused",),
    "chf:never_permit": (JOIN, f"{LOCAL}::test_joins_only_inside_the_hht_set_period"),
    "chf:skip_install_code_check": (f"{JOIN}::test_wrong_install_code_refused",),
    "chf:accept_foreign_ca": (f"{JOIN}::test_bad_certificate_refused",
                              f"{INTERPAN}::test_hht_with_invalid_credentials_refused"),
    "chf:accept_expired_cert": (f"{JOIN}::test_bad_certificate_refused",),
    "chf:ignore_cert_subject": (f"{JOIN}::test_bad_certificate_refused",),
    "chf:ignore_join_period": (f"{LOCAL}::test_joins_only_inside_the_hht_set_period",
                               f"{JOIN}::test_wrong_install_code_refused"),
    "chf:keep_permit_after_remove": (f"{JOIN}::test_removed_device_cannot_join",),
    "chf:no_wan_buffer": (f"{JOIN}::test_second_cs14_late",),
    "chf:interpan_window_ignored": (f"{INTERPAN}::test_interpan_refused_after_the_window",),
    "chf:interpan_never_open": (INTERPAN,),
    "chf:interpan_window_not_restarted": (f"{INTERPAN}::test_window_restarts_at_each_power_on",),
    "chf:hht_order_unchecked": (f"{LOCAL}::test_hht_must_add_itself_first",),
    "chf:no_anti_replay": (f"{LOCAL}::test_replayed_local_command_refused",),
    "chf:bad_response_mac": (JOIN, LOCAL),
    "chf:malformed_cs14": (JOIN, LOCAL),
    "hht:accept_foreign_ca": (f"{INTERPAN}::test_hht_refuses_a_ch_with_invalid_credentials",),
    "hht:keep_preconfigured_key": (f"{LOCAL}::test_joins_only_inside_the_hht_set_period",),
    **{f"{role}:accept_foreign_ca": (f"{JOIN}::test_device_refuses_foreign_chf_certificate",)
       for role in ("esme", "gsme", "ppmid")},
    **{f"{role}:keep_preconfigured_key": (f"{JOIN}::test_full_join",) for role in ("esme", "gsme", "ppmid")},
    **{f"{role}:{name}": tests for role in ("esme", "gsme") for name, tests in METER_UTRN.items()},
    **{f"{role}:{name}": tests for role in ("esme", "gsme", "ppmid") for name, tests in DEVICE_GBCS.items()},
    "chf:no_join_cs14": (f"{JOIN}::test_full_join",
                         f"{COMMISSION}::test_rejoin_does_not_downgrade_a_commissioned_device"),
    "chf:no_tunnel_request": (CARRIAGE,),
    "chf:evict_when_full": ("test_chf_device_log.py::test_ccs01_beyond_the_device_log_capacity_fails_cleanly",),
    "chf:relay_to_unlisted": ("test_chf_device_log.py::test_nothing_is_relayed_to_a_device_removed_from_the_log",),
    "esme:alcs_ignores_supply_state": (f"{ALCS}::test_alcs_does_not_switch_while_the_supply_is_disabled",),
    "esme:alcs_offset_beyond_limit": (ALCS,),
    "chf:drops_device_alerts_without_wan": (
        "test_prepayment_without_wan.py::test_local_top_up_without_wan_is_reported_when_the_wan_returns",),
    "esme:adjust_clock_beyond_10s": ("test_clock_sync.py",),
    "esme:set_clock_without_ch_time": ("test_clock_sync.py::test_clock_is_left_unchanged_while_the_ch_has_no_valid_time",),
    "esme:accept_any_key_usage": (f"{ANCHORS}::test_certificate_of_another_key_usage_is_refused_by_the_cell",),
    "esme:join_alerts_with_dcc_certs": (
        f"{ANCHORS}::test_meter_holding_only_dcc_certificates_does_not_report_commissioned",),
    "esme:han_device_log_unchecked": (f"{PAIRING}::test_top_up_from_a_ppmid_absent_from_the_meters_log_is_ignored",
                                      f"{PAIRING}::test_unjoin_removes_the_partner_from_the_device_log"),
    "esme:hcalcs_not_commanded": (f"{PAIRING}::test_hcalcs_joins_the_esme_which_then_switches_it",),
    "hcalcs:device_log_unchecked": (f"{PAIRING}::test_hcalcs_ignores_switching_from_an_esme_absent_from_its_log",),
    "esme:mpxn_not_stored": (f"{COMMISSION}::test_mpan_set_after_commissioning_reads_back",),
    **{f"{role}:no_join_alerts": (f"{COMMISSION}::test_meter_holding_its_suppliers_certificate_reports_its_join",)
       for role in ("esme", "gsme")},
    "esme:skip_image_signature": (f"{OTA}::test_tampered_image_is_refused_and_nothing_is_staged",),
    "esme:skip_cs06_hash": (f"{OTA}::test_cs06_whose_hash_differs_from_the_held_image_is_refused",),
    "esme:activate_on_upgrade_end": (f"{OTA}::test_upgrade_end_saying_upgrade_now_activates_nothing",),
    "esme:future_dated_runs_now": (OTA_FUTURE_DATED,
                                   f"{OTA}::test_future_dated_cs06_re_dated_to_9999_never_runs"),
    **{f"{role}:no_distribution_receipt": (f"{OTA}::test_firmware_distributed_then_activated_by_cs06",)
       for role in ("esme", "gsme")},
    **{f"ppmid:{name}": (f"{OTA_PPMID}::test_ppmid_firmware_distributed_receipted_and_activated_by_cs06",)
       for name in ("no_distribution_receipt", "skip_cs06_hash")},
    **{f"{role}:overwrite_on_activation": (f"{OTA_POWER_CUT}::test_power_cut_during_activation_leaves_a_valid_image_"
                                           f"reported_consistently[{role}]",) for role in ("esme", "ppmid")},
    "chf:skip_krp_check": (f"{OTA}::test_ch_firmware_is_activated_only_by_a_cs06_the_wan_provider_signed",),
    "chf:ad1_on_reboot": (f"{OTA}::test_ch_reboot_into_new_firmware_or_plain_raises_no_ad1_but_a_power_cut_does",),
    "esme:single_image_slot": (f"{OTA}::test_staged_images_in_order_and_a_power_cut_mid_download",),
    "esme:pending_activation_in_ram": (OTA_FUTURE_DATED,),
    "esme:future_dated_survives_cos": (
        f"{OTA}::test_change_of_supplier_before_the_execution_time_voids_the_future_dated_activation",),
    "esme:skip_krp_check": (*DEVICE_GBCS["skip_krp_check"],
                            f"{OTA}::test_cs06_without_an_image_or_unsigned_is_refused"),
    "esme:no_anti_replay": (*DEVICE_GBCS["no_anti_replay"], f"{OTA}::test_replayed_cs06_is_refused"),
    "esme:no_credit_added_alert": (*METER_UTRN["no_credit_added_alert"],
                                   f"{PPMID}::test_utrn_typed_on_the_ppmid_credits_the_esme_and_is_reported"),
    "esme:tamper_not_locked": (f"{SUPPLY}::test_tamper_with_the_lock_set_disables_and_locks_until_armed",),
    "esme:non_disablement_ignored": (
        f"{PREPAY}::test_credit_runs_out_inside_a_non_disablement_period_then_after_it",),
    "esme:no_low_credit_alert": (f"{PREPAY}::test_low_credit_is_shown_and_alerted_with_the_supply_left_on",),
    **{f"{role}:payment_mode_drops_balance": (f"{PREPAY}::test_payment_mode_switch_both_ways_keeps_the_balance",)
       for role in ("esme", "gsme")},
    "gsme:pcs_mac_unchecked": (f"{PPMID}::test_utrn_typed_on_the_ppmid_reaches_the_gsme_as_pcs01_and_credits_once",
                               f"{PPMID}::test_emergency_credit_selected_on_the_ppmid_is_given_by_the_meter"),
    "gsme:gcs13a_register_frozen": (f"{MIRROR}::test_gcs13a_sent_to_the_gsme_is_answered_by_the_gsme_from_its_register",),
    "gsme:no_power_loss_alert": (f"{SUPPLY}::test_gsme_power_loss_closes_the_valve_until_armed",),
    "gpf:no_gcs62": (f"{PAIRING}::test_ppmid_joins_the_gsme_via_the_gpf_which_backs_up_its_log",),
    "gpf:stale_mirror": (f"{MIRROR}::test_gsme_mirror_on_the_gpf_serves_gas_reads",),
    "gsme:mirror_never_updated": (f"{MIRROR}::test_gsme_mirror_on_the_gpf_serves_gas_reads",),
    "esme:security_log_clearable": ("test_device_logs.py::test_security_log_cannot_be_cleared",),
    "esme:event_log_not_cleared": ("test_device_logs.py::test_clear_event_log_empties_it_and_keeps_the_security_log",),
    "chf:skip_local_mac_check": ("test_hht_local_integrity.py",),
    "esme:alert_filter_ignored": ("test_alert_config.py",),
    "esme:critical_alerts_filterable": ("test_alert_config.py::test_a_critical_alert_cannot_be_disabled",),
}


@dataclass
class Run:
    """One run of the suite: its verdicts per nodeid, and how the process ended."""

    defect: str | None
    tests: tuple[str, ...]
    options: tuple[str, ...] = ()
    verdicts: dict[str, str] = field(default_factory=dict)
    code: int | None = None
    stderr: str = ""
    note: str = ""
    seconds: float = 0.0

    def describe(self) -> str:
        """What a failure message needs to judge the run: which, exit code, note and stderr tail."""
        name = f"--defect {self.defect}" if self.defect else f"the run with {' '.join(self.options) or 'no defect'}"
        tail = self.stderr[-STDERR_TAIL:].strip()
        return (f"{name} on {' '.join(self.tests) or 'the whole suite'}: exit {self.code} after {self.seconds:.0f} s"
                f"{'; ' + self.note if self.note else ''}" + (f"\nstderr (tail):\n{tail}" if tail else ""))


class Matrix:
    """Runs the suite once per defect (and once clean), `WORKERS` at a time, each bounded; `cancel()` stops all."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.cancelled = threading.Event()
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()

    def run(self, defect: str | None, tests: tuple[str, ...], options: tuple[str, ...] = ()) -> Run:
        result = Run(defect, tests, options)
        if self.cancelled.is_set():
            result.note = "cancelled: the matrix deadline passed before this run started"
            return result
        results = self.folder / (defect or "-".join(options) or "clean").replace(":", "-")
        args = [sys.executable, "-m", "pytest", *(str(SUITE / t) for t in tests or ("",)), "-p",
                "harness.pytest_plugin", "-q", "--results", str(results), "-o", f"conformance_paths={SUITE}",
                "-p", "no:cacheprovider", "-o", f"timeout={RUN_TIMEOUT:.0f}"]
        limit = RUN_TIMEOUT if tests else SUITE_TIMEOUT
        args += [*(["--defect", defect] if defect else []), *options]
        started = time.monotonic()
        with open(results.with_suffix(".out"), "wb") as out:
            proc = subprocess.Popen(args, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.PIPE,
                                    start_new_session=True)
            with self._lock:
                self._running.add(proc)
            try:
                _, err = proc.communicate(timeout=limit)
            except subprocess.TimeoutExpired:
                self._kill(proc)
                _, err = proc.communicate()
                result.note = f"killed: the run took longer than {limit:.0f} s"
            finally:
                with self._lock:
                    self._running.discard(proc)
        if self.cancelled.is_set() and not result.note:
            result.note = "killed: the matrix deadline passed"
        result.code, result.stderr = proc.returncode, err.decode(errors="replace")
        result.seconds = time.monotonic() - started
        try:
            record = json.loads((results / "run.json").read_text())
            result.verdicts = {t["nodeid"]: t["verdict"] for t in record["tests"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            result.note = "; ".join(filter(None, [result.note, f"no usable run.json ({exc})"]))
        return result

    def cancel(self) -> None:
        self.cancelled.set()
        with self._lock:
            for proc in list(self._running):
                self._kill(proc)

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> dict[str | None, Run]:
    """{defect: its run}, LOSSY: the run under radio loss."""
    runs: list[tuple[str | None, tuple[str, ...], tuple[str, ...]]] = [
        (LOSSY, (), LOSS_OPTIONS),
        *((d, AFFECTS.get(d, ()), ("--dut", d.split(":")[0])) for d in DEFECTS)]
    runner = Matrix(tmp_path_factory.mktemp("defects"))
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    futures = {pool.submit(runner.run, None if key == LOSSY else key, tests, options): (key, tests, options)
               for key, tests, options in runs}
    try:
        _, late = wait(futures, timeout=MATRIX_DEADLINE)
        if late:
            runner.cancel()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    out = {}
    for future, (key, tests, options) in futures.items():
        out[key] = future.result() if not future.cancelled() else Run(
            None if key == LOSSY else key, tests, options, note="cancelled: the matrix deadline passed before it started")
    cases = sum(len(r.verdicts) for r in out.values())
    print(f"defect matrix: {len(runs)} runs, {cases} test cases, {time.monotonic() - started:.0f} s")
    return out


def test_affects_names_only_known_defects():
    assert set(AFFECTS) <= set(DEFECTS), f"AFFECTS names unknown defects: {sorted(set(AFFECTS) - set(DEFECTS))}"


@pytest.fixture(scope="module")
def suite_cases(tmp_path_factory) -> set[str]:
    """Every conformance test case's nodeid, as the runs record them (collected, not run)."""
    results = tmp_path_factory.mktemp("collected")
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", str(SUITE), "-p",
                           "harness.pytest_plugin", "--results", str(results), "-p", "no:cacheprovider"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    cases = {line.strip() for line in done.stdout.splitlines() if line.startswith("tests/conformance/")}
    assert done.returncode == 0 and cases, f"the suite did not collect (exit {done.returncode}):\n{done.stderr[-2000:]}"
    return cases


@pytest.mark.parametrize("defect", DEFECTS)
def test_defect_is_caught(matrix, defect):
    run = matrix[defect]
    assert run.verdicts, f"no conformance test ran: {run.describe()}"
    errors = {k: v for k, v in run.verdicts.items() if v == "ERROR"}
    assert not errors, f"ERROR under a device defect: {sorted(errors)}\n{run.describe()}"
    assert "FAIL" in run.verdicts.values(), f"no conformance test caught the defect\n{run.describe()}"


def test_no_fail_under_radio_loss(matrix):
    lossy = matrix[LOSSY]
    assert "PASS" in lossy.verdicts.values(), f"nothing passed under radio loss: {lossy.describe()}"
    failed = {k: v for k, v in lossy.verdicts.items() if v == "FAIL"}
    assert not failed, f"a lost frame was blamed on the device: {sorted(failed)}\n{lossy.describe()}"


def test_every_case_catches_a_defect(matrix, suite_cases):
    cases = suite_cases
    caught = {n for d in DEFECTS for n, v in matrix[d].verdicts.items() if v == "FAIL"}
    assert cases - caught == set(), f"cases no defect makes FAIL: {sorted(cases - caught)}"


def test_a_hub_that_admits_nobody_fails_every_join_test(matrix):
    """`chf:never_permit`: every join test that judges the CHF FAILs, the refusal tests included (their positive
    controls show the hub refuses everyone, not just the device it must refuse)."""
    run = matrix["chf:never_permit"]
    joins = {n: v for n, v in run.verdicts.items() if "/test_han_join.py::" in n and v != "SKIP"}
    assert joins and set(joins.values()) == {"FAIL"}, f"{joins}\n{run.describe()}"
    for name in ("test_unlisted_device_refused", "test_wrong_install_code_refused", "test_removed_device_cannot_join"):
        assert any(name in n for n in joins), f"{name} did not run under chf:never_permit\n{run.describe()}"
