"""AD1, the DCC's power outage alert (BAD 7.5.6.5.2, F4.9; TAB DP096): a CH whose mains were off for 3 minutes or
more reports the outage when power returns, and the DCC sends AD1 to the Supplier and the Network Operator (the
Electricity Distributor with an ESME, the Gas Transporter with a GSME). A software reboot of the CH (into firmware it
activated, or plain) is not an outage: no report, no AD1.

The CH's report [I: INFERRED: it is CSP-level, not GBCS; the rig carries it as a Generic Non Critical Alert (0x1001)
to the ACB with the rig-private alert code 0xFF01, {alert code, restoration time, outage start}; correct it here and
in firmware/roles/chf.py].
"""
from __future__ import annotations

from harness.dcc.core import Received
from harness.dcc.smi import DccAlert, Smi

GNCA = 0x1001
POWER_OUTAGE = 0xFF01  # [I: see above]
AD1 = "AD1"


def on_ch_alert(smi: Smi, received: Received, now: float) -> DccAlert | None:
    """AD1 for a CH's outage report (None for any other alert)."""
    from harness.dcc.devices import alert_code  # devices imports the HAN services, which call this

    if received.header.message_code != GNCA or alert_code(received) != POWER_OUTAGE:
        return None
    return smi.raise_alert(AD1, received.header.originator, now,
                           "power outage of the CH, to the Supplier and the Network Operator")
