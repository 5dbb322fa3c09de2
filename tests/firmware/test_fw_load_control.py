# Auxiliary load control between an ESME and its HCALCS (firmware/roles/load_control.py, hcalcs.py): ECS47 Activate
# switches the ESME's ALCS on and commands each joined HCALCS on; the HCALCS obeys only an ESME in its Device Log.
# Under CPython and MicroPython.
import binascii

from firmware import roles
from firmware.gbcs.errors import ParseError
from firmware.hal import Hal
from firmware.roles import load_control
from test_fw_hal import recorder, rmtree, tmpdir
from test_fw_meter_roles import meter

HCALCS, ESME = "00DB1234567890A5", "00DB1234567890A0"
# RTDS 7.5_ECS47Activate SUCCESS: the command's DLMS content and the response's (counter 0x3E8)
ECS47_CONTENT = binascii.unhexlify("D9200003E8000202000100005E2C75010203000900000A0067FF010212001E120111")
ECS47_RESPONSE = binascii.unhexlify("DA200003E800000200000202000300")
T0 = 1767225600000


class Msg:
    """What a checked GBCS command hands its handler."""

    def __init__(self, content, counter=0x3E8):
        self.content = content
        self.counter = counter


def sent(events):
    return [d for n, d in events if n == "han.send"]


def test_ecs47_switches_the_alcs_and_commands_each_joined_hcalcs():
    root = tmpdir()
    try:
        esme, events = meter(root)
        esme.state["devlog"].append({"eui": HCALCS, "type": load_control.HCALCS_TYPE})
        assert load_control.activate(esme, Msg(ECS47_CONTENT)) == ECS47_RESPONSE
        assert esme.supply.s["alc_on"] is True and esme.state["alc_override_min"] == 30
        # the PPMID in the same log gets nothing; the HCALCS gets On (ZCL On/Off)
        assert sent(events) == [{"to": HCALCS, "device": "hcalcs", "cluster": 0x0006, "command": 0x01}]
    finally:
        rmtree(root)


def test_ecs47_of_another_layout_is_malformed_and_the_defect_commands_nothing():
    root = tmpdir()
    try:
        esme, events = meter(root, defects=["hcalcs_not_commanded"])
        esme.state["devlog"].append({"eui": HCALCS, "type": load_control.HCALCS_TYPE})
        for bad in (ECS47_CONTENT[:-1] + b"\x12", ECS47_CONTENT[:-2] + b"\x01\x12"):
            try:
                load_control.activate(esme, Msg(bad))
            except ParseError:
                pass
            else:
                raise AssertionError("took %r" % bad)
        assert esme.supply.s["alc_on"] is not True
        load_control.activate(esme, Msg(ECS47_CONTENT))
        assert esme.supply.s["alc_on"] is True and sent(events) == []
    finally:
        rmtree(root)


def hcalcs(root, defects=()):
    events, emit = recorder()
    hal = Hal(emit, root, {"defects": list(defects)})
    hal.clock.set(T0)
    return roles.load("hcalcs", hal), events


def test_hcalcs_obeys_only_an_esme_in_its_device_log():
    root = tmpdir()
    try:
        h, _ = hcalcs(root)
        switch = h.methods()["hcalcs.switch"]
        assert h.methods()["relay.get"]({}) == {"on": False} and h.hal.display.text == "HCALCS LOAD OFF"
        assert switch({"from": ESME, "on": True}) == {"obeyed": False, "on": False}
        h.state["devlog"].append({"eui": "00DB1234567890A4", "type": 5})  # a PPMID is no switching partner
        assert switch({"from": "00db1234567890a4", "on": True})["obeyed"] is False
        h.state["devlog"].append({"eui": ESME, "type": 1})  # as CS03A2 leaves it
        assert switch({"from": ESME.lower(), "on": True}) == {"obeyed": True, "on": True}
        assert h.methods()["relay.get"]({}) == {"on": True} and h.hal.display.text == "HCALCS LOAD ON"
        assert [e[1] for e in h.state["events"]] == [0x0055, 0x0055, 0x0054]
        again, _ = hcalcs(root)  # the switch state survives a power cycle
        assert again.methods()["relay.get"]({}) == {"on": True}
        assert switch({"from": ESME, "on": False}) == {"obeyed": True, "on": False}
    finally:
        rmtree(root)


def test_hcalcs_with_the_defect_obeys_anyone_and_takes_only_cs03a2():
    root = tmpdir()
    try:
        h, _ = hcalcs(root, ["device_log_unchecked"])
        assert h.methods()["hcalcs.switch"]({"from": ESME, "on": True}) == {"obeyed": True, "on": True}
        from firmware.roles import device_gbcs

        assert h.join_codes() == (device_gbcs.CS03A2,)
    finally:
        rmtree(root)
