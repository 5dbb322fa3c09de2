"""The named defects each emulated role can play (defect injection), with what each breaks.

A defect makes the emulator a non-conformant device under test; the conformance suites must turn FAIL when it
is on (tests/test_defects.py checks that every conformance test catches at least one)."""
from __future__ import annotations


def known_defects() -> dict[str, dict[str, str]]:
    """{role: {defect name: what the emulator then does wrong}}."""
    from emulators.chf import DEFECTS as CHF
    from emulators.han_device import DEFECTS as DEVICE, GSME_DEFECTS
    from emulators.hht import DEFECTS as HHT
    from firmware.ota_client import DEFECTS as OTA
    from firmware.roles.alert_config import DEFECTS as ALERTS
    from firmware.roles.device_gbcs import DEFECTS as GBCS, ESME_DEFECTS, GPF_DEFECTS, METER_DEFECTS
    from firmware.roles.device_logs import DEFECTS as LOGS
    from firmware.roles.hcalcs import DEFECTS as HCALCS
    from firmware.roles.load_control import DEFECTS as LOAD_CONTROL

    meter = dict(DEVICE, **METER, **GBCS, **METER_DEFECTS)
    # the OTA client's defects the OTA suite catches; on the GSME, the one its own case of the end-to-end test needs
    # (the matrix stays lean)
    ota = dict(OTA)
    gsme_ota = {"no_distribution_receipt": OTA["no_distribution_receipt"]}
    ppmid_ota = {name: OTA[name] for name in ("no_distribution_receipt", "skip_cs06_hash", "overwrite_on_activation")}
    return {"chf": dict(CHF), "esme": dict(meter, **ESME_DEFECTS, **ESME_ONLY, **LOAD_CONTROL, **ota, **LOGS,
                                           **ALERTS),
            "gsme": dict(meter, **gsme_ota, **GSME_DEFECTS, **GSME_ONLY), "ppmid": dict(DEVICE, **GBCS, **ppmid_ota),
            "gpf": dict(GPF_DEFECTS), "hht": dict(HHT), "hcalcs": dict(HCALCS)}


# Defects of a meter's board half (firmware/roles/prepay.py).
METER = {
    "utrn_no_replay_check": "accepts a UTRN whose counter it has already accepted",
    "utrn_accept_bad_mac": "accepts a UTRN whose PTUT MAC does not verify with its supplier's prepayment key",
    "utrn_ignore_limits": "credits above the maximum per top-up and beyond the maximum meter balance",
    "utrn_skip_check_digit": "accepts a UTRN whose check digit is wrong",
    "utrn_value_class_ignored": "credits a UTRN's value in pennies whatever its value class says",
    "remote_utrn_no_replay_check": "credits a UTRN arriving by SRV 2.2 (CS01a/b) whose counter it has already "
                                   "accepted from the keypad",
    "no_local_top_up_response": "does not answer a UTRN applied on its keypad with the CS01a/b response",
    "no_credit_added_alert": "raises no 0x810E Credit Added Locally alert for a UTRN applied on its keypad",
    "supply_enabled_without_consumer": "enables an armed supply itself instead of waiting for the consumer",
    "remote_ec_needs_pin": "refuses SRV 2.5 emergency credit activation while the consumer has a Privacy PIN set",
    "ec_ignores_privacy_pin": "activates emergency credit from its keypad or its PPMID without the Privacy PIN that "
                              "is set",
    "ppmid_ec_ignored": "refuses emergency credit the consumer selects on the PPMID in its Device Log",
    "payment_mode_drops_balance": "zeroes the meter balance when its payment mode is switched (SRV 1.6)",
    "supply_preconditions_unchecked": "arms (and on an ESME enables) on command a supply disabled for any cause, "
                                      "lack of credit included",
}
# Defects of one meter type only (firmware/roles/supply.py, prepay.py, gsme.py, firmware/prepay_gbcs.py).
ESME_ONLY = {
    "no_low_credit_alert": "shows low credit but sends no 0x810D Low Credit alert",
    "non_disablement_ignored": "takes the SRV 2.1 non-disablement calendar (ECS08) but disables the supply inside "
                               "its periods",
    "tamper_not_locked": "disables the supply on a tamper but never locks it nor raises 0x81BE, whatever the supply "
                         "tamper state (ECS81) says",
    "alcs_ignores_supply_state": "switches its ALCS by the calendar (ECS46c) even while the supply is not enabled",
    "alcs_offset_beyond_limit": "delays each ALCS switching by more than the Randomised Offset Limit",
}
GSME_ONLY = {
    "no_power_loss_alert": "closes its valve on a power loss but raises no 0x8F1D",
    "pcs_mac_unchecked": "runs a PPMID's PCS01/PCS02 without checking its MAC (PPMID KA x GSME KA)",
    "gcs13a_register_frozen": "answers a GCS13a sent to it with a register that never moved from zero",
}
