"""ZSE Prepayment between a PPMID and an ESME (emulators/han_prepayment.py): the PPMID's board event goes on the HAN
as a Consumer Top Up; the meter's host half answers only what its board processed, and a PPMID shows the answer."""
from __future__ import annotations

from harness.zigbee import prepayment as zse
from rig.radios.protocol import ApsMessage, DeliveryFailed
from emulators.han_prepayment import HanPrepayment

PPMID, ESME = 0x00DB1234567890A4, 0x00DB1234567890A0
UTRN = "73943329375977918992"


class Link:
    def __init__(self, answers: dict[str, dict] | None = None):
        self.answers = answers or {}
        self.calls: list[tuple[str, dict]] = []

    def call(self, method: str, **params) -> dict:
        return self.request(method, params)

    def request(self, method: str, params: dict) -> dict:
        self.calls.append((method, params))
        return self.answers.get(method, {})


class Radio:
    def __init__(self, fail: bool = False):
        self.sent: list[tuple[int, int, bytes, dict]] = []
        self.fail = fail

    def send_aps(self, dst: int, cluster: int, payload: bytes, **kwargs) -> None:
        if self.fail:
            raise DeliveryFailed("no network address known")
        self.sent.append((dst, cluster, payload, kwargs))


def tsn() -> int:
    return 7


def from_(src: int, payload: bytes) -> ApsMessage:
    return ApsMessage(src, 0x1234, 1, 1, zse.CLUSTER_ID, 0x0109, payload, False)


def top_up_frame() -> bytes:
    return zse.frame(zse.ConsumerTopUp.for_utrn(UTRN), 3)


def test_a_ppmid_board_event_goes_on_the_han_as_a_consumer_top_up():
    radio = Radio()
    ppmid = HanPrepayment(Link(), radio, "ppmid", tsn)
    ppmid.send({"to": f"{ESME:016X}", "meter": "esme", "cluster": zse.CLUSTER_ID, "command": zse.CONSUMER_TOP_UP,
                "payload": zse.ConsumerTopUp.for_utrn(UTRN).encode().hex()})
    [(dst, cluster, payload, options)] = radio.sent
    frame, command = zse.parse(payload)
    assert (dst, cluster, frame.tsn, command.utrn) == (ESME, zse.CLUSTER_ID, 7, UTRN)
    assert options["aps_security"] is False


def test_the_meter_answers_only_what_its_board_processed():
    listed = Link({"zse.top_up": {"processed": True, "result": 0, "value": 500, "credit_remaining": 1500}})
    radio = Radio()
    assert HanPrepayment(listed, radio, "esme", tsn).on_message(from_(PPMID, top_up_frame()))
    assert listed.calls == [("zse.top_up", {"from": f"{PPMID:016X}", "utrn": UTRN})]
    [(dst, _, payload, _)] = radio.sent
    frame, response = zse.parse(payload)
    assert dst == PPMID and frame.tsn == 3
    assert response == zse.ConsumerTopUpResponse(zse.ResultType.ACCEPTED, 500, zse.OriginatingDevice.IHD, 1500)

    unlisted, quiet = Link({"zse.top_up": {"processed": False}}), Radio()
    assert HanPrepayment(unlisted, quiet, "esme", tsn).on_message(from_(PPMID, top_up_frame()))
    assert quiet.sent == []


def test_a_ppmid_shows_the_answer_and_bad_input_is_only_logged():
    link = Link()
    ppmid = HanPrepayment(link, Radio(fail=True), "ppmid", tsn)
    answer = zse.ConsumerTopUpResponse(zse.ResultType.REJECTED_DUPLICATE_TOP_UP, 0, zse.OriginatingDevice.IHD, 9)
    assert ppmid.on_message(from_(ESME, zse.frame(answer, 4)))
    assert link.calls[-1] == ("ppmid.result", {"meter": "esme", "result": 2, "value": 0, "credit_remaining": 9})
    assert ppmid.on_message(from_(ESME, b"\x01\x04"))             # truncated: dropped with a log line
    ppmid.send({"to": "not hex", "meter": "esme", "command": 4, "payload": ""})
    ppmid.send({"to": f"{ESME:016X}", "meter": "esme", "command": 4, "payload": top_up_frame()[3:].hex()})
    assert [m for m, _ in link.calls[1:]] == ["log", "log", "log"]    # the last one: DeliveryFailed
    other = ApsMessage(ESME, 0x1234, 1, 1, 0x0702, 0x0109, b"", False)
    assert not ppmid.on_message(other)
