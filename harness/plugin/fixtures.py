"""The rig's fixtures: the bench (model, running runtime, the view tests get), defects, sealed roles,
provisioning, the clock, the test's evidence folder, the HAN session and the UI adapters."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from harness.errors import InputError
from harness.evidence import Evidence
from harness.plugin.evidence import evidence_keeper
from harness.plugin.markers import sealed_roles
from harness.plugin.session import NotSupportedYet, run_session


@pytest.fixture(scope="session")
def bench_model(request: pytest.FixtureRequest) -> Any:
    """The bench named by ``--bench`` (default: the built-in simulated bench)."""
    return run_session(request.config).bench_model()


def _apply_policy(request: pytest.FixtureRequest, bench_model: Any, runtime: Any) -> None:
    """The test's ``policy`` marker: an emulated CH is set to follow it; on a real CH the test SKIPs unless the
    bench's ``--policy`` (default: the BAD's reading) says the device follows it."""
    mark = request.node.get_closest_marker("policy")
    if mark is None or "chf" not in bench_model.roles:
        return
    if bench_model.roles["chf"].kind == "dut":
        from firmware.roles.chf import POLICIES

        declared = dict(value.partition("=")[::2] for value in request.config.getoption("rig_policy", None) or ())
        for name, value in mark.kwargs.items():
            follows = declared.get(name, POLICIES.get(name, ("?",))[0])
            if follows != value:
                pytest.skip(f"the CH under test follows the bench policy {name}={follows}; this case needs {value}")
        return
    runtime.link("chf").call("policy.set", **mark.kwargs)


def parse_defects(values: list[str]) -> dict[str, tuple[str, ...]]:
    """``ROLE:NAME`` options as {role: (names...)}; a usage error names a malformed or unknown one."""
    from emulators.defect_options import parse_defect_options

    try:
        return parse_defect_options(values)
    except InputError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def defects(request: pytest.FixtureRequest) -> dict[str, tuple[str, ...]]:
    """Defects the emulators play this run (``--defect ROLE:NAME``): {role: (names...)}."""
    return parse_defects(request.config.getoption("--defect", []))


@pytest.fixture(scope="session")
def provisioning(request: pytest.FixtureRequest, bench_model: Any) -> Any:
    """The run's identities: a bench SMKI, CBKE certificates from the bench CA, install codes."""
    from emulators.provision import Provisioning

    session = run_session(request.config)
    euis = {name: role.eui64 for name, role in bench_model.roles.items()}
    return Provisioning(session.bench_dir / "provisioning", euis)


@pytest.fixture(scope="session")
def rig_bench(request: pytest.FixtureRequest, bench_model: Any, provisioning: Any,
              defects: dict[str, tuple[str, ...]]) -> Iterator[Any]:
    """The running bench for the whole session (the boards of the roles the selected tests need started, links
    open); stopped at the end. The rig's own handle: tests take `bench`, which keeps the sealed roles' insides out
    of reach."""
    from rig.bench.model import SIM
    from rig.bench.runtime import BenchRuntime
    from rig.radios.sim import SIM_RADIO_VERSION

    session = run_session(request.config)
    extra = lambda role: provisioning.board_config(role, defects.get(role, ()))  # noqa: E731
    with BenchRuntime(session.running_bench(), session.bench_dir, board_extra=extra) as runtime:
        for role in runtime.roles:
            hello = runtime.link(role).hello
            if hello is not None:
                session.writer.set_firmware_version(role, hello.fw)
            if runtime.bench.roles[role].radio.kind == SIM:  # an NCP's versions are read when a HAN session opens it
                session.writer.set_radio_version(role, SIM_RADIO_VERSION)
        yield runtime


@pytest.fixture(scope="session")
def sealed(request: pytest.FixtureRequest, bench_model: Any) -> tuple[str, ...]:
    """The roles this run seals as devices under test (``--dut ROLE``)."""
    return sealed_roles(request.config, bench_model)


@pytest.fixture(scope="session")
def bench(rig_bench: Any, sealed: tuple[str, ...]) -> Any:
    """The running bench as tests see it: with ``--dut ROLE``, ROLE's board link is out of reach."""
    from rig.seal import SealedBench, SealLog

    return SealedBench(rig_bench, set(sealed), SealLog()) if sealed else rig_bench


@pytest.fixture
def ui(request: pytest.FixtureRequest, bench_model: Any, sealed: tuple[str, ...]) -> Any:
    """``ui(role)``: the role's UI adapter (`harness.ui`): the board's keypad, display and supply switch for an
    emulated role (sealed or not; its board is reset first, so each test starts from a fresh device), for a real
    device the ``--ui ROLE:KIND`` adapter; SKIP when it has none."""
    from harness.ui.board import BoardUi
    from harness.ui.plugins import available, real_device_ui

    choices = dict(value.partition(":")[::2] for value in request.config.getoption("rig_ui", None) or ())

    def adapter(role: str) -> Any:
        if role not in bench_model.roles:
            pytest.skip(f"bench {bench_model.name!r} has no {role} role")
        if bench_model.roles[role].kind == "dut":
            if role not in choices:
                pytest.skip(f"the device under test ({role}) has no UI adapter on this bench: give --ui "
                            f"{role}:KIND, KIND one of {', '.join(available())}")
            return real_device_ui(role, choices[role], timeout=300.0)
        rig_bench = request.getfixturevalue("rig_bench")
        reset_board(rig_bench, role, request.getfixturevalue("evidence"))
        return BoardUi(role, rig_bench.link(role))

    return adapter


@pytest.fixture
def clock(bench: Any) -> Any:
    """The run's clock (virtual on the simulated bench)."""
    return bench.clock


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """This test's evidence folder, ``<results>/<safe test name>/``."""
    return evidence_keeper(request.config).evidence_for(request.node.nodeid)


def reset_board(bench: Any, role: str, evidence: Evidence) -> None:
    """Reset the board of `role` for a new test; a board lost in an earlier test (that test got ERROR) is
    brought back first."""
    from harness.errors import BenchFault

    try:
        bench.link(role).call("reset")
    except BenchFault as fault:
        evidence.append("bench.log", f"{role}: {fault}; recovering the board")
        bench.recover(role)
        bench.link(role).call("reset")


@pytest.fixture
def han(request: pytest.FixtureRequest, bench_model: Any, provisioning: Any, defects: dict[str, tuple[str, ...]],
        evidence: Evidence, sealed: tuple[str, ...]) -> Iterator[Any]:
    """A fresh HAN session (DCC core, CHF, joining devices) on the session's bench; every board's role state is
    reset first, and a board lost in an earlier test is recovered. The capture (pcap + keys) and the GBCS
    transcript land in the test's evidence folder. An alert the CHF got wrong (bad MAC, malformed CS14) that the
    test did not already fail on is the device's FAIL at teardown."""
    from emulators.medium.medium import Impairments
    from rig.han_session import HanSession, unsupported

    reason = unsupported(bench_model)
    if reason:
        raise NotSupportedYet(reason)
    bench = request.getfixturevalue("rig_bench")
    for role in bench.roles:
        reset_board(bench, role, evidence)
        bench.link(role).events()  # what the board raised before its reset belongs to the earlier test
    _apply_policy(request, bench_model, bench)
    session = HanSession(bench, provisioning, evidence.path("han"), defects=defects, seed=bench_model.seed,
                         impairments=Impairments(loss=bench_model.loss), sealed=set(sealed),
                         wall_limit=None if request.config.getoption("--allow-long", False) else bench_model.long_limit)
    run = run_session(request.config)
    try:
        for role, version in session.radio_versions(skip=set(run.writer.record.versions.get("radios", {}))).items():
            run.writer.set_radio_version(role, version)
        yield session
    finally:
        session.close()
        for entry in session.dcc.transcript:
            evidence.transcript(entry.line())
        lost = session.medium.beyond_retries
        run_session(request.config).channel_lost[request.node.nodeid] = len(lost)
        for when, sender, receiver in lost:
            evidence.append("bench.log", f"{when:.3f} the channel lost a frame {sender} -> {receiver} "
                                         "through every MAC retry")
    session.dcc.check()
    session.seal_log.check()  # a reach into a sealed role that the test swallowed is still an ERROR
