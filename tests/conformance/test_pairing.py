"""Application-level joins and unjoins (BAD 7.2.1.6.12, 7.6.2.5.3; AC 4.7): SRV 8.7 puts a PPMID in its meter's
Device Log (and the meter in the PPMID's), CS03A1 / CS03A2 with an ESME, CS03B with the GPF and CS03C on both sides
with a GSME; the joined PPMID inherits its meter's status; the GPF backs its Device Log up with GCS62 after each
change; SRV 8.8 (CS04AC) takes the partner out again.

Topology: CH (CHF, GPF), the meter and the PPMID on the HAN, all commissioned as BAD 7.2.1 has it; the devices are
the devices under test. Checks read the DCC core only: the verified responses (signed for critical joins), the
GCS62 alert and the SMI.
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc.devices import CS03A1, CS03A2, CS03B, CS03C, status_code
from harness.dcc.smi import Status
from harness.errors import InputError
from harness.gbcs import asn1
from device_steps import commissioned

GCS62, BACKUP_ALERT = 0x00B2, 0x8071
OK, NOT_IN_LOG = 0, 1


def joined(han, device: str, code: int, other: str, *, critical: bool):
    answer = han.devices.join(SUPPLIER, han.eui(device), code, han.eui(other), other, critical=critical)
    return answer


def gcs62_logs(han) -> list[list[bytes]]:
    """The device EUIs each verified GCS62 alert from the GPF lists."""
    out = []
    for alert in han.devices.alerts:
        if alert.header.message_code != GCS62 or alert.header.originator != han.eui("gpf"):
            continue
        try:
            [seq] = asn1.decode(alert.header.payload)
            code, _, log = seq.children
            listed = [entry.children[0].value for entry in log.children]
        except (InputError, ValueError, TypeError) as exc:
            raise AssertionError(f"GCS62 is not {{alert code, time, SEQUENCE OF {{EUI, type}}}}: {exc}") from None
        assert int.from_bytes(code.value, "big") == BACKUP_ALERT, "GCS62 alert code is not 0x8071"
        out.append(listed)
    return out


@pytest.mark.scenario(26)
@pytest.mark.clause("BAD 7.2.1.6.12; AC 4.7; GBCS CS03A2, CS03A1")
@pytest.mark.roles("chf", "esme", "ppmid")
@pytest.mark.dut("esme", "ppmid")
def test_ppmid_joins_the_esme_and_inherits_its_status(han):
    commissioned(han, "esme", "ppmid")

    # Actions: SRV 8.7.1 (critical): "CS03A2 to PPMID then CS03A1 to ESME"
    to_ppmid = joined(han, "ppmid", CS03A2, "esme", critical=True)
    to_esme = joined(han, "esme", CS03A1, "ppmid", critical=True)

    # "each SR → DCC → command → response" (the critical joins are answered with signed responses)
    for name, answer in (("PPMID (CS03A2)", to_ppmid), ("ESME (CS03A1)", to_esme)):
        assert answer.response is not None, f"no verified response from the {name}: {answer.detail}; " \
                                            f"refused by the DCC: {[str(r) for r in han.devices.rejected]}"
        assert answer.ok, f"the {name} refused the join: {answer.detail}"
        assert answer.response.header.signature, f"the {name} did not sign its response to a critical join"
    # "PPMID inherits ESME status" (AC 4.7)
    assert han.smi.status(han.eui("ppmid")) is Status.COMMISSIONED


@pytest.mark.scenario(27)
@pytest.mark.clause("BAD 7.2.1.6.12; GBCS CS03B, CS03C, GCS62")
@pytest.mark.roles("chf", "gpf", "gsme", "ppmid")
@pytest.mark.dut("gpf", "gsme", "ppmid")
def test_ppmid_joins_the_gsme_via_the_gpf_which_backs_up_its_log(han):
    commissioned(han, "gsme", "ppmid")

    # Actions: SRV 8.7.2: CS03B to the GPF, CS03C to both the GSME and the PPMID
    answers = {"GPF (CS03B)": joined(han, "gpf", CS03B, "ppmid", critical=False),
               "GSME (CS03C)": joined(han, "gsme", CS03C, "ppmid", critical=False),
               "PPMID (CS03C)": joined(han, "ppmid", CS03C, "gsme", critical=False)}
    han.run_for(5)

    for name, answer in answers.items():
        assert answer.ok, f"the {name} join failed: {answer.detail}"
    # "GPF emits GCS62" after its Device Log changed, listing the PPMID
    backups = gcs62_logs(han)
    assert backups, "the GPF raised no GCS62 backup of its Device Log after the join"
    assert han.eui("ppmid") in backups[-1], "the GCS62 backup does not list the joined PPMID"
    assert han.smi.status(han.eui("ppmid")) is Status.COMMISSIONED, "the PPMID did not inherit the GSME's status"


@pytest.mark.scenario(33)
@pytest.mark.clause("BAD 7.6.2.5.3; GBCS CS04AC")
@pytest.mark.roles("chf", "esme", "ppmid")
@pytest.mark.dut("esme")
def test_unjoin_removes_the_partner_from_the_device_log(han):
    commissioned(han, "esme", "ppmid")
    assert joined(han, "esme", CS03A1, "ppmid", critical=True).ok, "precondition: the PPMID did not join"

    # Action: SRV 8.8.1 (critical): CS04AC to the ESME for the PPMID
    first = han.devices.unjoin(SUPPLIER, han.eui("esme"), han.eui("ppmid"))
    again = han.devices.unjoin(SUPPLIER, han.eui("esme"), han.eui("ppmid"))

    # "Unjoins (CS04AC/CS04B) remove partner from device log"
    assert first.response is not None and again.response is not None, \
        f"no verified unjoin response; refused by the DCC: {[str(r) for r in han.devices.rejected]}"
    assert status_code(first.response) == OK, f"the unjoin failed: {first.detail}"
    assert status_code(again.response) == NOT_IN_LOG, "the PPMID is still in the ESME's Device Log after CS04AC"
