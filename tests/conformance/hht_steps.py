"""What the Install and Leave suites share (BAD 7.2.2.6.3): the 60-minute inter-PAN window, the HHT's steps
(connect to the CH, deliver a locally prepared command) with their timings in the evidence, and the air checks:
the CH's beacon, inter-PAN key establishment, the CH's answers to locally delivered commands."""
from __future__ import annotations

from harness.capture.dissect import Packet
from harness.capture.verify import Air
from han_steps import key_established

WINDOW = 60 * 60          # "CH opens inter-PAN for 60 minutes after power-on"
JOIN_PERIOD = 90
TUNNELING_CLUSTER = 0x0704


def connect(han, evidence, power_on: float, *, initiate_at: float | None = None) -> float:
    """The installer has the HHT find the CH and establish the inter-PAN key with it. When the attempt began.
    With `initiate_at`, the HHT finds the CH first (its scans repeat while beacons are lost, which takes seconds)
    and begins key establishment at that time, so an attempt lands where the test places it."""
    if initiate_at is None:
        at = han.clock.now()
        han.hht().connect(han.eui_int("chf"))
    else:
        hht, chf = han.hht(), han.eui_int("chf")
        beacon = next((b for b in hht.discover() if b.extended_pan_id == chf), None)
        han.run_for(max(0.0, initiate_at - han.clock.now()))
        at = han.clock.now()
        if beacon is not None:  # else no Initiate goes out, which the test's checks of the air report
            hht.interpan_key_establishment(chf, beacon)
    evidence.append("interpan.txt", f"CH power-on {power_on:.3f}; HHT connects at {at:.3f} "
                                    f"({at - power_on:.0f} s after power-on)")
    return at


def interpan_established(air: Air, chf: int, hht: int) -> Packet:
    """"HHT discovers CHFs in range" (a beacon whose extended PAN ID is the CH's HAN EUI-64) and "HHT↔CHF CBKE
    over inter-PAN" runs to its end. The CH's Confirm Key response."""
    air.filter(command="beacon", beacon_ext_panid=chf).must_next()
    done = key_established(air, chf, hht)
    if not done.has("interpan"):
        raise AssertionError(f"frame #{done.number}: key establishment with the HHT did not run over inter-PAN")
    return done


def local_ccs01(han, role: str, period: int = JOIN_PERIOD) -> bytes:
    """SRV 8.11 for `role`, flagged for local delivery: the command the HHT will carry."""
    return han.dcc.local_add_device(han.chf_eui, han.eui(role), han.provisioning.install_code(role), period).data


def deliver(han, command: bytes) -> bytes | None:
    """The HHT hands `command` to the CH over inter-PAN; the response it brings back (None: none came)."""
    return han.hht().deliver_locally(han.eui_int("chf"), command)


def answers_on_air(air: Air, chf: int, hht: int) -> list[tuple[Packet, Packet | None]]:
    """Each locally delivered command (Tunneling TransferData from the HHT, secured with the inter-PAN key) and the
    CH's answer to it on the air (None when the CH sent none before the next command)."""
    commands = air.filter(layer="interpan", src=hht, dst=chf, command="transfer_data").all()
    out = []
    for i, command in enumerate(commands):
        answers = air.filter(layer="interpan", src=chf, dst=hht, command="transfer_data")
        if i + 1 < len(commands):
            answers = answers.before(commands[i + 1])
        air.after(command)
        out.append((command, answers.first()))
    return out
