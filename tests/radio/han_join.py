"""The ESME's whole join in a HAN session (SRV 8.11 for it, the join, CBKE), as the radio-path tests drive it."""
from __future__ import annotations

from harness.dcc.smi import Status


def join_esme(han, provisioning, settle: float = 1.0) -> None:
    """Whitelist the ESME, let it join, and check it joined and is installed (not commissioned)."""
    han.prenotify("esme")
    assert han.dcc.add_device(han.chf_eui, han.eui("esme"), provisioning.install_code("esme"), 90).ok
    han.run_for(settle)
    outcome = han.device("esme").join(han.chf.identity.eui_int, timeout=60)
    han.run_for(settle)
    assert outcome.joined, outcome
    assert han.smi.status(han.eui("esme")) is Status.INSTALLED_NOT_COMMISSIONED
