"""The GSME's mirror on the GPF (BAD 7.2.1.6.7, scenario 19): after CBKE with the CHF the GSME asks the CH for a
mirror and configures it, keeps it current while gas flows, and gas reads (GCS13a, SRV 4.1.1) are then answered by
the GPF from the mirror, not by the sleeping GSME.

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
from harness.zigbee import mirror, zcl
from device_steps import commissioned

FLOW_W = 6000          # the gas flow, as power: 6 kW ...
FLOW_S = 300           # ... for five minutes = 0.5 kWh
TOLERANCE = 0.05       # of the energy that flowed, in the register's increase


def from_gsme(han, command: int, frame_type: int) -> list:
    """Metering frames the GSME sent the CH (server -> client) with this command id and frame type."""
    return han.air().filter(lambda p: p["zcl.direction"] == zcl.SERVER_TO_CLIENT and p["zcl.frame_type"] == frame_type
                            and p["zcl.cmd"] == command, layer="zcl", src=han.eui_int("gsme"),
                            dst=han.eui_int("chf"), cluster=mirror.CLUSTER).all()


def reports(han, endpoint: int) -> list[tuple[float, int, mirror.Report]]:
    """(time, frame number, values) of each Report Attributes the GSME sent to its mirror's endpoint."""
    out = []
    for packet in from_gsme(han, mirror.REPORT_ATTRIBUTES, zcl.GLOBAL):
        if packet.get("aps.dst_ep") != endpoint:
            continue
        try:
            out.append((packet.time, packet.number, mirror.parse_report(packet["zcl.payload"])))
        except InputError as exc:
            raise AssertionError(f"frame #{packet.number}: malformed report to the mirror: {exc}") from None
    return out


def kwh(values: dict[int, int]) -> float:
    """CurrentSummationDelivered in kWh (UnitOfMeasure 0 = kWh) from a report's or a read's attributes."""
    assert values.get(mirror.UNIT) == 0, f"the register's UnitOfMeasure is {values.get(mirror.UNIT)}, not kWh"
    return values[mirror.SUMMATION] * values[mirror.MULTIPLIER] / values[mirror.DIVISOR]


@pytest.mark.scenario(19)
@pytest.mark.clause("BAD 7.2.1.6.7 (GSME after CBKE requests Mirror creation on GPF and configures it; subsequent "
                    "gas reads are served by GPF); GBCS GCS13a")
@pytest.mark.roles("chf", "gpf", "gsme")
@pytest.mark.dut("gsme", "gpf")
def test_gsme_mirror_on_the_gpf_serves_gas_reads(han):
    commissioned(han, "gsme")
    chf, gsme = han.eui_int("chf"), han.eui_int("gsme")

    # "GSME after CBKE requests Mirror creation on GPF ..."
    cbke = han.air().filter(layer="ke", src=chf, dst=gsme, command="confirm_key_response").first()
    assert cbke is not None, "precondition: the capture shows no completed CBKE between the CHF and the GSME"
    requested = [p for p in from_gsme(han, mirror.REQUEST_MIRROR, zcl.CLUSTER_SPECIFIC) if p.number > cbke.number]
    assert requested, "the GSME sent no RequestMirror to the CH after CBKE"
    answers = han.air().filter(lambda p: p.number > requested[0].number and p["zcl.direction"] == zcl.CLIENT_TO_SERVER
                               and p["zcl.frame_type"] == zcl.CLUSTER_SPECIFIC
                               and p["zcl.cmd"] == mirror.REQUEST_MIRROR_RESPONSE,
                               layer="zcl", src=chf, dst=gsme, cluster=mirror.CLUSTER).all()
    assert answers, f"the CH did not answer the GSME's RequestMirror (frame #{requested[0].number})"
    endpoint = int.from_bytes(answers[0]["zcl.payload"][:2], "little")
    assert endpoint != mirror.NO_MIRROR, "the CH created no mirror for the GSME (RequestMirrorResponse 0xFFFF)"
    # "... and configures it"
    configured = [p for p in from_gsme(han, mirror.CONFIGURE_MIRROR, zcl.CLUSTER_SPECIFIC)
                  if p.number > answers[0].number and p.get("aps.dst_ep") == endpoint]
    assert configured, f"the GSME did not configure its mirror (no ConfigureMirror to endpoint {endpoint})"
    _, command = mirror.decode(zcl.encode(zcl.ZclFrame(zcl.CLUSTER_SPECIFIC, 0, mirror.CONFIGURE_MIRROR,
                                                       configured[0]["zcl.payload"], zcl.SERVER_TO_CLIENT)))
    interval = command.reporting_interval
    assert 0 < interval <= FLOW_S, f"the GSME configured its mirror to report every {interval} s"
    before = reports(han, endpoint)
    assert before, "the GSME reported nothing to its mirror"

    # Precondition: credit for the gas (SRV 2.2, CS01b £10), so the valve stays open while it flows
    z = utrn_secret(han.provisioning.keystore, SUPPLIER, han.eui("gsme"))
    topped = pp.top_up(han.devices, SUPPLIER, han.eui("gsme"), "gsme",
                       lambda counter: generate(z, SUPPLIER, han.eui("gsme"), counter, 10, ValueClass.POUNDS).text)
    assert topped.response is not None and pp.top_up_accepted(pp.CS01B, topped.response.header.payload), \
        "precondition: the GSME did not take a £10 top-up (SRV 2.2)"
    # Action: gas flows through the GSME, then stops; the GSME wakes and reports as it configured
    flow_from = han.clock.now()
    han.device("gsme").apply_load(FLOW_W)
    han.run_for(FLOW_S)
    han.device("gsme").apply_load(0)
    han.run_for(2 * interval + 5)
    after = [r for r in reports(han, endpoint) if r[0] > flow_from + FLOW_S]
    assert after, f"the GSME did not update its mirror after gas flowed (no report to endpoint {endpoint} in the " \
                  f"{2 * interval + 5} s after the flow stopped; it configured reports every {interval} s)"
    latest = after[-1][2].values
    used = kwh(latest) - kwh(before[-1][2].values)
    flowed = FLOW_W * FLOW_S / 3600 / 1000
    assert abs(used - flowed) <= TOLERANCE * flowed, \
        f"the GSME's register rose by {used:.3f} kWh (frame #{after[-1][1]}) while {flowed:.3f} kWh flowed"

    # Action: SRV 4.1.1 Read GSME Consumption, sent to the GPF
    _, response = han.devices.request(SUPPLIER, han.eui("gpf"), GCS13A, gcs13a_payload(), critical=False,
                                      what="GCS13a")
    # "subsequent gas reads are served by GPF": the GPF answers, from the mirror as the GSME last updated it
    assert response is not None, f"no verified GCS13a response from the GPF; refused by the DCC: " \
                                 f"{[str(r) for r in han.devices.rejected]}"
    register = gas_register(response.header, han.provisioning.keystore)
    served = {mirror.SUMMATION: register.summation, mirror.UNIT: register.unit,
              mirror.MULTIPLIER: register.multiplier, mirror.DIVISOR: register.divisor}
    assert served == {a: latest[a] for a in served}, \
        f"the GPF served {served}, not the GSME's latest report to its mirror {latest} (frame #{after[-1][1]})"
