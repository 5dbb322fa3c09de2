"""Sealed devices under test (`rig run --dut ROLE`): a test that reaches into the sealed role's emulator gets
ERROR "the test reads the insides of the device under test (ROLE)", even when it swallows the exception; the
role's outward actions, the air and the DCC stay open; tests that do not list the role as a DUT SKIP."""
from __future__ import annotations

import pytest

from harness.errors import BenchFault
from rig.seal import SealBroken, SealedMapping, SealLog, seal
from test_bench_faults import BENCH, run_suite

SUITE = '''
import pytest

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_reads_the_board_link(han):
    han.chf.link.call("devlog.get")

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_swallows_the_seal(han):
    try:
        han.radios["chf"].get_link_key(1)
    except Exception:
        pass

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("chf")
def test_outward_only(han):
    han.prenotify("esme")
    assert han.dcc.add_device(han.chf_eui, han.eui("esme"), han.provisioning.install_code("esme"), 90).ok
    assert han.chf.set_wan(True) is None
    han.device("esme").join(han.eui_int("chf"), timeout=20)
    han.air().filter(command="transport_key", dst=han.eui_int("esme")).must_next()

@pytest.mark.scenario(13)
@pytest.mark.clause("BAD 7.2.1.6.7")
@pytest.mark.roles("chf", "esme")
@pytest.mark.dut("esme")
def test_judges_only_the_esme(han):
    raise AssertionError("must not run")
'''


@pytest.mark.timeout(180)
def test_a_sealed_run(pytester: pytest.Pytester) -> None:
    tests, result = run_suite(pytester, BENCH, SUITE, "--dut", "chf")
    verdicts = {t["nodeid"].split("::")[-1]: t for t in tests}
    out = result.stdout.str()
    for name, what in (("test_reads_the_board_link", "'link' is not one of its outward actions"),
                       ("test_swallows_the_seal", "its radio")):
        assert verdicts[name]["verdict"] == "ERROR", out
        assert "the test reads the insides of the device under test (chf)" in verdicts[name]["reason"], out
        assert what in verdicts[name]["reason"], verdicts[name]["reason"]
    assert verdicts["test_outward_only"]["verdict"] == "PASS", out
    skipped = verdicts["test_judges_only_the_esme"]
    assert skipped["verdict"] == "SKIP" and "chf is the device under test of this run" in skipped["reason"], out


def test_seal_lets_only_outward_actions_through():
    class Hub:
        secret = b"key"

        def set_wan(self, up):
            return {"up": up, "buffered": 3}      # the emulator's own view: not what a real hub shows

    log = SealLog()
    hub = seal("chf", Hub(), {"chf"}, log)
    assert hub.set_wan(False) is None
    with pytest.raises(SealBroken, match=r"device under test \(chf\): 'secret'"):
        hub.secret
    with pytest.raises(SealBroken, match="sets 'secret'"):
        hub.secret = b"other"
    assert seal("esme", Hub(), {"chf"}, log).secret == b"key"       # an unsealed peer is the rig's own tool
    radios = SealedMapping({"chf": 1, "esme": 2}, "radio", {"chf"}, log)
    assert radios["esme"] == 2 and sorted(radios) == ["chf", "esme"]
    with pytest.raises(SealBroken, match="its radio"):
        radios["chf"]
    assert len(log.attempts) == 3 and isinstance(log.attempts[0], BenchFault)
    with pytest.raises(SealBroken):
        log.check()
