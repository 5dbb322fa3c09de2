# Role loader, roles and the firmware app's core link methods, under CPython and MicroPython.
from firmware import linkproto, roles
from firmware.app import App, load_config
from firmware.hal import Hal
from firmware.version import FIRMWARE_VERSION
from test_fw_hal import recorder, rmtree, tmpdir
from test_fw_link import FakePort


def test_every_role_loads_with_identity_and_state():
    root = tmpdir()
    try:
        for name in roles.ROLES:
            role = roles.load(name, Hal(lambda n, d: None, root, {}))
            assert role.name == name
            assert role.snapshot()["role"] == name
        try:
            roles.load("toaster", Hal(lambda n, d: None, root, {}))
        except ValueError as e:
            assert "toaster" in str(e) and "esme" in str(e)
        else:
            raise AssertionError("loaded an unknown role")
    finally:
        rmtree(root)


def test_supply_state_survives_power_cycle_and_reset_clears_it():
    root = tmpdir()
    try:
        events, emit = recorder()
        esme = roles.load("esme", Hal(emit, root, {}))
        assert esme.methods()["relay.get"]({}) == {"on": True}
        esme.methods()["relay.set"]({"on": False})
        assert ("relay", {"on": False}) in events
        again = roles.load("esme", Hal(emit, root, {}))
        assert again.methods()["relay.get"]({}) == {"on": False}
        assert again.hal.display.text == "ESME SUPPLY OFF LOCKED CREDIT 0.00"
        again.reset()
        assert again.methods()["relay.get"]({}) == {"on": True}
        assert roles.load("esme", Hal(emit, root, {})).state["supply"]["state"] == "enabled"
        gsme = roles.load("gsme", Hal(emit, root, {}))
        assert sorted(gsme.methods()) == ["cells.load", "credit.get", "devlog.get", "gbcs.command", "han.joined",
                                          "meter.register", "stim.load", "stim.power_loss", "stim.tamper", "ui.press",
                                          "ui.supply_state", "valve.get", "valve.set", "zse.select_ec", "zse.top_up"]
    finally:
        rmtree(root)


def call(app, method, params=None, seq=1):
    app.link.port.feed(linkproto.encode(linkproto.REQUEST, seq, {"m": method, "p": params or {}}))
    app.step(0)
    frames = app.link.port.frames()
    answers = [f for f in frames if f[0] != linkproto.EVENT]
    assert len(answers) == 1 and answers[0][1] == seq, frames
    return answers[0][0], answers[0][2], [f[2] for f in frames if f[0] == linkproto.EVENT]


def make_app(root, config):
    port = FakePort()
    app = App(port, config, root)
    boot = port.frames()
    assert boot[0][2]["e"] == "boot", boot
    return app, boot


def test_app_hello_boot_and_time():
    root = tmpdir()
    try:
        config = {"role": "ppmid", "board_id": "ppmid-1", "eui64": "00112233445566AA"}
        app, boot = make_app(root, config)
        assert boot[0][2]["d"]["reason"] == "power_on" and boot[0][2]["d"]["role"] == "ppmid"
        kind, hello, _ = call(app, "hello")
        assert kind == "r"
        assert hello == {"proto": linkproto.PROTOCOL_VERSION, "role": "ppmid", "fw": FIRMWARE_VERSION,
                         "board_id": "ppmid-1", "eui64": "00112233445566AA", "boots": 1, "state": "ready"}
        kind, body, _ = call(app, "time.advance", {"ms": 10})
        assert kind == "e" and body["code"] == "clock_unset"
        kind, body, _ = call(app, "time.set", {"utc_ms": 1767225600000})
        assert body["utc_ms"] == 1767225600000 and body["power_on_ms"] == 1767225600000
        kind, body, _ = call(app, "time.advance", {"ms": 3600000})
        assert body["utc_ms"] == 1767229200000 and body["power_on_ms"] == 1767225600000
        kind, body, _ = call(app, "time.set", {"utc_ms": -5})
        assert kind == "e" and body["code"] == "bad_params"
    finally:
        rmtree(root)


def test_app_reports_the_release_the_bench_gives_it():
    """An emulated device playing release 1.1 says so in its hello, over the wired firmware it runs."""
    root = tmpdir()
    try:
        app, boot = make_app(root, {"role": "esme", "board_id": "esme-1", "fw_version": "1.1"})
        _, hello, _ = call(app, "hello")
        assert (hello["fw"], hello["base_fw"]) == ("1.1", FIRMWARE_VERSION)
        assert boot[0][2]["d"]["fw"] == "1.1"
    finally:
        rmtree(root)


def test_app_keypad_display_power_cycle_and_reset():
    root = tmpdir()
    try:
        app, _ = make_app(root, {"role": "esme", "board_id": "e1"})
        kind, body, events = call(app, "keypad.press", {"keys": "12"})
        assert body == {"display": "> 12"}
        assert [e["e"] for e in events] == ["key", "display", "key", "display"]
        kind, body, _ = call(app, "keypad.press", {"keys": "1!"})
        assert kind == "e" and body["code"] == "bad_params"
        call(app, "relay.set", {"on": False})
        call(app, "time.set", {"utc_ms": 5000})
        kind, body, events = call(app, "power_cycle")
        assert body == {"boots": 2}
        assert events[0]["e"] == "boot" and events[0]["d"]["reason"] == "power_cycle"
        kind, state, _ = call(app, "state.get")
        assert state["boots"] == 2 and state["relay"] == {"on": False}
        assert state["role"]["entry"] == "" and state["display"] == "ESME SUPPLY OFF LOCKED CREDIT 0.00"
        assert state["time"]["utc_ms"] == 5000 and state["time"]["power_on_ms"] == 5000
        kind, state, _ = call(app, "reset")
        assert state["relay"] == {"on": True}
        kind, body, events = call(app, "log", {"text": "test step 3"})
        assert events == [{"e": "log", "d": {"text": "test step 3"}}]
    finally:
        rmtree(root)


def test_unconfigured_board_still_answers_hello():
    root = tmpdir()
    try:
        with open(root + "/config.json", "w") as f:
            f.write('{"role": "kettle"}')
        config, problem = load_config(root + "/config.json")
        assert "kettle" in problem
        assert load_config(root + "/absent.json")[1].startswith("no config file")
        app = App(FakePort(), config, root, problem)
        kind, hello, _ = call(app, "hello")
        assert hello["role"] is None and hello["state"].startswith("unconfigured")
        kind, body, _ = call(app, "reset")
        assert kind == "e" and body["code"] == "unconfigured"
    finally:
        rmtree(root)
