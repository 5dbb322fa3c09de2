"""The GSME's mirror on the GPF (BAD 7.2.1.6.7, scenario 19): after CBKE with the CHF the GSME asks the CH for a
mirror and configures it, keeps it current while gas flows, and gas reads (GCS13a, SRV 4.1.1) are then answered by
the GPF from the mirror, not by the sleeping GSME. A GCS13a sent to the GSME itself (as RTDS 4.1.1 also has it) is
answered by the GSME, from its own register, when it wakes.

Topology: CH (CHF, GPF) and the GSME on its HAN, commissioned as BAD 7.2.1 has it; the GSME or the GPF is the device
under test. Checks read the air (the mirror's request, configuration and reports, judged with ZSE Metering:
harness/zigbee/mirror.py) and the DCC core (the GPF's verified, encrypted GCS13a response, decrypted with the
supplier's key). The gas flow is a bench action (a load on the GSME's valve), paid for by a £10 top-up (SRV 2.2).
"""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc import prepayment as pp
from harness.dcc.gas_reads import GCS13A, gas_register, gcs13a_payload
from harness.errors import InputError
from harness.gbcs.utrn import ValueClass, generate, utrn_secret
from harness.zigbee import mirror
from device_steps import commissioned

FLOW_W = 6000          # the gas flow, as power: 6 kW ...
FLOW_S = 300           # ... for five minutes = 0.5 kWh
TOLERANCE = 0.05       # of the energy that flowed, in the register's increase


def mirror_frames(han, src: str, dst: str, kind: type, after: int = 0) -> list[tuple[object, object]]:
    """(packet, command) for each mirror command of type `kind` that `src` sent `dst` after frame `after`; a Metering
    frame that claims to be a mirror command but does not decode is the sender's fault."""
    out = []
    for packet in han.air().filter(lambda p: p.number > after, layer="zcl", src=han.eui_int(src),
                                   dst=han.eui_int(dst), cluster=mirror.CLUSTER).all():
        try:
            command = mirror.decode_payload(packet["zcl.frame_type"], packet["zcl.direction"], packet["zcl.cmd"],
                                            packet["zcl.payload"])
        except InputError as exc:
            if exc.field == "zcl.command":
                continue  # another Metering command (the notification flags' read)
            raise AssertionError(f"frame #{packet.number}: malformed mirror command from the {src}: {exc}") from None
        if isinstance(command, kind):
            out.append((packet, command))
    return out


def reports(han, endpoint: int, after: int = 0) -> list[tuple[object, mirror.Report]]:
    """(packet, values) of each Report Attributes the GSME sent to its mirror's endpoint after frame `after`."""
    return [(p, c) for p, c in mirror_frames(han, "gsme", "chf", mirror.Report, after)
            if p.get("aps.dst_ep") == endpoint]


def rise(before: dict[int, int], after: dict[int, int]) -> float:
    """How much CurrentSummationDelivered rose between two readings, in the register's unit."""
    assert before.get(mirror.DIVISOR) and after.get(mirror.DIVISOR), "a report to the mirror lacks the Divisor"
    return after[mirror.SUMMATION] * after[mirror.MULTIPLIER] / after[mirror.DIVISOR] \
        - before[mirror.SUMMATION] * before[mirror.MULTIPLIER] / before[mirror.DIVISOR]


@pytest.mark.scenario(19)
@pytest.mark.clause("BAD 7.2.1.6.7 (GSME after CBKE requests Mirror creation on GPF and configures it; subsequent "
                    "gas reads are served by GPF); GBCS GCS13a")
@pytest.mark.roles("chf", "gpf", "gsme")
@pytest.mark.dut("gsme", "gpf")
def test_gsme_mirror_on_the_gpf_serves_gas_reads(han, evidence):
    commissioned(han, "gsme")
    chf, gsme = han.eui_int("chf"), han.eui_int("gsme")

    # "GSME after CBKE requests Mirror creation on GPF ..."
    cbke = han.air().filter(layer="ke", src=chf, dst=gsme, command="confirm_key_response").first()
    assert cbke is not None, "precondition: the capture shows no completed CBKE between the CHF and the GSME"
    requested = mirror_frames(han, "gsme", "chf", mirror.RequestMirror, cbke.number)
    assert requested, "the GSME sent no RequestMirror to the CH after CBKE"
    answers = mirror_frames(han, "chf", "gsme", mirror.RequestMirrorResponse, requested[0][0].number)
    assert answers, f"the CH did not answer the GSME's RequestMirror (frame #{requested[0][0].number})"
    endpoint = answers[0][1].endpoint
    assert endpoint != mirror.NO_MIRROR, "the CH created no mirror for the GSME (RequestMirrorResponse 0xFFFF)"
    # "... and configures it"
    configured = [(p, c) for p, c in mirror_frames(han, "gsme", "chf", mirror.ConfigureMirror, answers[0][0].number)
                  if p.get("aps.dst_ep") == endpoint]
    assert configured, f"the GSME did not configure its mirror (no ConfigureMirror to endpoint {endpoint})"
    interval = configured[0][1].reporting_interval
    assert interval > 0, "the GSME configured its mirror with no reporting interval (it would never update it)"
    before = reports(han, endpoint)
    assert before, "the GSME reported nothing to its mirror"

    # Action: gas flows through the GSME (paid for by SRV 2.2), then stops; the GSME wakes and reports as configured
    flowed = gas_flows(han)
    flow_from = han.clock.now() - FLOW_S  # when the gas began to flow
    han.run_for(2 * interval + 5)
    after = [(p, c) for p, c in reports(han, endpoint) if p.time > flow_from + FLOW_S]
    assert after, f"the GSME did not update its mirror after gas flowed (no report to endpoint {endpoint} in the " \
                  f"{2 * interval + 5} s after the flow stopped; it configured reports every {interval} s)"
    last_frame, latest = after[-1][0].number, after[-1][1].values
    used = rise(before[-1][1].values, latest)
    assert used > 0, f"the GSME's register did not rise while gas flowed (its report in frame #{last_frame})"
    if latest.get(mirror.UNIT) == mirror.KWH:  # a register in kWh shows how much flowed (m3 needs a calorific value)
        assert abs(used - flowed) <= TOLERANCE * flowed, \
            f"the GSME's register rose by {used:.3f} kWh (frame #{last_frame}) while {flowed:.3f} kWh flowed"

    # Action: SRV 4.1.1 Read GSME Consumption, sent to the GPF
    _, response = han.devices.request(SUPPLIER, han.eui("gpf"), GCS13A, gcs13a_payload(), critical=False,
                                      what="GCS13a")
    # "subsequent gas reads are served by GPF": the GPF answers, from the mirror as the GSME last updated it
    assert response is not None, f"no verified GCS13a response from the GPF; refused by the DCC: " \
                                 f"{[str(r) for r in han.devices.rejected]}"
    register = gas_register(response.header, han.provisioning.keystore)
    evidence.append("mirror.txt", f"RequestMirror #{requested[0][0].number}, RequestMirrorResponse "
                                  f"#{answers[0][0].number} (endpoint {endpoint}), ConfigureMirror "
                                  f"#{configured[0][0].number} (every {interval} s); last report #{last_frame}: "
                                  f"{latest}; GCS13a from the GPF: {register}")
    served = {mirror.SUMMATION: register.summation, mirror.UNIT: register.unit,
              mirror.MULTIPLIER: register.multiplier, mirror.DIVISOR: register.divisor}
    assert served == {a: latest[a] for a in served}, \
        f"the GPF served {served}, not the GSME's latest report to its mirror {latest} (frame #{last_frame})"


def gas_flows(han) -> float:
    """Precondition: credit for the gas (SRV 2.2, CS01b £10), so the valve stays open while it flows; then the bench
    lets FLOW_W flow through the GSME for FLOW_S seconds. The energy that flowed, in kWh."""
    z = utrn_secret(han.provisioning.keystore, SUPPLIER, han.eui("gsme"))
    topped = pp.top_up(han.devices, SUPPLIER, han.eui("gsme"), "gsme",
                       lambda counter: generate(z, SUPPLIER, han.eui("gsme"), counter, 10, ValueClass.POUNDS).text)
    assert topped.response is not None and pp.top_up_accepted(pp.CS01B, topped.response.header.payload), \
        "precondition: the GSME did not take a £10 top-up (SRV 2.2)"
    han.device("gsme").apply_load(FLOW_W)
    han.run_for(FLOW_S)
    han.device("gsme").apply_load(0)
    return FLOW_W * FLOW_S / 3600 / 1000


@pytest.mark.scenario(19)
@pytest.mark.clause("BAD 7.2.1.6.7, Table 8; GBCS GCS13a (RTDS 4.1.1: GCS13a to the GSME, answered by the GSME)")
@pytest.mark.roles("chf", "gpf", "gsme")
@pytest.mark.dut("gsme")
def test_gcs13a_sent_to_the_gsme_is_answered_by_the_gsme_from_its_register(han, evidence):
    commissioned(han, "gsme")
    flowed = gas_flows(han)

    # Action: SRV 4.1.1 Read GSME Consumption, sent to the GSME itself (queued on the CH until the GSME wakes)
    _, response = han.devices.request(SUPPLIER, han.eui("gsme"), GCS13A, gcs13a_payload(), critical=False,
                                      what="GCS13a to the GSME")
    # The GSME answers (verified, encrypted to the supplier) with its consumption register, which the gas moved
    assert response is not None, f"no verified GCS13a response from the GSME; refused by the DCC: " \
                                 f"{[str(r) for r in han.devices.rejected]}"
    assert response.header.originator == han.eui("gsme"), "the GCS13a response did not come from the GSME"
    register = gas_register(response.header, han.provisioning.keystore)
    evidence.append("gcs13a.txt", f"GCS13a from the GSME after {flowed:.3f} kWh flowed: {register}")
    assert register.unit == mirror.KWH, f"the GSME's register is not in kWh (unit {register.unit}): the rig's gas " \
                                        "flow is energy [I], so the check below needs kWh"
    used = register.summation * register.multiplier / register.divisor
    assert abs(used - flowed) <= TOLERANCE * flowed, \
        f"the GSME's register reads {used:.3f} kWh after {flowed:.3f} kWh flowed from a zero register"
