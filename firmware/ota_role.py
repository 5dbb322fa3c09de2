# Wiring of a GBCS device role (ESME, GSME, PPMID, CHF) to its board's OTA client: the CS06 handler, and the Firmware
# Distribution Receipt (0x00CE, or 0x00CF from a GBZ device) and future-dated activation (0x00CA) alerts sent through the role's own GBCS alert
# path (signed: both are critical alerts, RTDS FDRA-DLMS and 11.3_CS06). The receipt goes to the supplier named in
# the "ota" config; 0x00CA to the originator of the CS06 it reports on.
# Usage in a role, after GbcsRole.setup: self.ota_handlers = ota_role.attach_if_able(self); in handlers,
# out.update(self.ota_handlers). The CH's own firmware reaches it from the DCC (BAD 7.5.3.6.5): no receipt alert.
# Runs under MicroPython and CPython.
import binascii

from firmware import ota_gbcs


def attach_if_able(role, receipts=True, reads=(), gbz=False):
    """`attach` on a board whose app provides an OTA client and whose role has a GBCS identity (a bare Hal, as
    in unit tests, has none); else no handlers."""
    if role.gbcs is None or getattr(role.hal, "ota_client", None) is None:
        return {}
    return attach(role, receipts, reads, gbz)


def attach(role, receipts=True, reads=(), gbz=False):
    """Route the board's OTA client's receipts (unless not `receipts`; 0x00CF when `gbz`, else 0x00CE) and
    executions to `role`'s alerts; returns the GBCS handlers {message code: fn(msg)}: CS06, and the firmware
    version reads in `reads` (ECS52, GCS38, CS08)."""
    ota = role.hal.ota_client()
    role.gbcs.critical_codes.add(ota_gbcs.CS06)  # CS06 is critical: never run unless KRP-signed
    supplier = binascii.unhexlify((role.hal.config.get("ota") or {}).get("supplier", "00" * 8))

    def receipt(found):
        counter = role.gbcs.alert_counter + 1
        code, payload = ota_gbcs.fdra_for(found, counter, role.hal.clock.now_ms(), gbz)
        role.send_alert(supplier, code, payload, critical=True)

    def executed(outcome, pending):
        recipient = binascii.unhexlify(pending["originator"]) if pending.get("originator") else supplier
        alert = ota_gbcs.activation_alert(0x8F66 if outcome == 0 else 0x8F67, pending["at"], pending["counter"],
                                          outcome, ota.file_version())
        role.send_alert(recipient, ota_gbcs.FUTURE_DATED_FIRMWARE_ALERT, alert, critical=True)

    ota.on_receipt = receipt if receipts else None
    ota.on_executed = executed
    if getattr(role, "cos_hooks", None) is not None:
        role.cos_hooks.append(ota.change_of_supplier)  # BAD 7.7.1.5.4: a CoS voids a pending activation
    out = {ota_gbcs.CS06: lambda msg: ota_gbcs.cs06(ota, msg)}
    if ota_gbcs.ECS52 in reads:
        out[ota_gbcs.ECS52] = lambda msg: ota_gbcs.ecs52(ota, msg)
    if ota_gbcs.GCS38 in reads:
        out[ota_gbcs.GCS38] = lambda msg: ota_gbcs.gcs38(ota, msg)
    if ota_gbcs.CS08 in reads:
        out[ota_gbcs.CS08] = lambda msg: ota_gbcs.cs08(ota, msg)
    return out
