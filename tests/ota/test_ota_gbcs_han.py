"""Distribution over the HAN end to end: the receipt alert reaching the DCC through the CHF's tunnel, and CS06
activating the image over the HAN (scenario 80)."""
from __future__ import annotations

import pytest

from emulators.provision import SUPPLIER
from harness.dcc.firmware import CS06, cs06_outcome, cs06_payload
from harness.ota.image import parse
from rig.han_session import HanSession
from tests.conformance.device_steps import commissioned
from tests.ota.test_ota_han import esme_image, runtime  # noqa: F401


def test_end_to_end_activation_over_the_han(runtime):  # noqa: F811
    rt, prov, tmp = runtime
    for role in rt.roles:
        rt.link(role).call("reset")
    han = HanSession(rt, prov, tmp / "e2e")
    try:
        commissioned(han, "esme")
        image = esme_image(prov)
        image_hash = parse(image).manufacturer_image_hash
        esme = int.from_bytes(han.eui("esme"), "big")
        assert han.chf.ota_server.distribute(image, [esme])
        result = han.device("esme").ota().run(han.chf.identity.eui_int, timeout=1800)
        assert result.stage == "ended" and result.receipt["ok"], result
        receipts: list = []
        for _ in range(12):  # a device sends its alerts one APS retry window (5 s) apart
            han.run_for(5)
            receipts = [a for a in han.devices.alerts if a.header.message_code == 0x00CE]
            if receipts:
                break
        assert len(receipts) == 1 and receipts[0].header.payload.endswith(image_hash)
        assert han.device("esme").link.call("hello")["fw"] == "0.1.0"
        _, answer = han.devices.request(SUPPLIER, han.eui("esme"), CS06, cs06_payload(image_hash), critical=True)
        assert answer is not None and cs06_outcome(answer.header.payload) == (0, bytes.fromhex("00000200"))
        assert han.device("esme").link.call("hello")["fw"] == "0.2.0"
    finally:
        han.close()
