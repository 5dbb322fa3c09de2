"""A HAN session: the DCC core, the emulated CHF and the joining devices of a running bench, on one clock.

    with BenchRuntime(bench, workdir, board_extra=prov.board_config) as rt:
        han = HanSession(rt, prov, workdir)
        han.dcc.add_device(han.chf_eui, han.eui("esme"), prov.install_code("esme"), join_period=90)
        outcome = han.device("esme").join(han.chf.identity.eui_int)
        han.run_for(120)

Radios: on the simulated bench every emulated role gets a `SimRadio` on one `Medium` (seeded, on the run's
virtual clock) whose every frame lands in `han.pcap` with a keys file beside it for Wireshark. On the `sim-ezsp`
bench each role's radio is instead an `EzspRadio` (bellows) driving an emulated EmberZNet NCP whose radio is on that
same medium; virtual time then moves only when every NCP and host is idle (`rig.radios.ncp_bench`). With EZSP
radios on serial ports the session runs in real time: the bench's clock ticks, radio callbacks are handed out from
`run_for`'s loop and the radios' own waits, and each NCP is checked against the bench file's EUI-64 and started from
a known state (no network, empty key tables); the medium then carries nothing (the air is real) and the
capture comes from the bench's sniffers (`[sniffers.<name>]`, EZSP NCPs in packet-capture mode on the CHF's channel,
started before it forms its network): the first writes `han.pcap`, any other `sniffer-<name>.pcap`. There a session
given a `wall_limit` refuses (`LongWait`, before waiting) a wait that takes its waits past that many seconds. Board
events are pumped whenever the clock moves, so alerts reach the DCC core at the virtual time the CHF raised them.

Sealed roles (`sealed`, the devices under test of a `rig run --dut ROLE`): the session's public handles on them
(`chf`, `device()`, `hht()`, `radios`, `runtime`) are `rig.seal` stand-ins, their radios keep their keys out of the
capture's keys file, and what a test may know of them comes from `air()` (the capture, opened with the keys the rig
knows: its own emulators' and the install codes it provisioned), the DCC core and the UI.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from emulators.chf import WELL_KNOWN_TC_KEY, ChfEmulator
from emulators.han_device import HanDeviceEmulator
from emulators.hht import HhtEmulator
from emulators.medium.medium import Impairments, Medium
from emulators.provision import SUPPLIER, Provisioning
from harness.capture.capture import Capture
from harness.capture.dissect import KeyRing
from harness.capture.verify import Air
from harness.dcc.core import DccCore
from harness.dcc.counters import CounterStore
from harness.dcc.devices import DeviceServices
from harness.dcc.han import HanServices
from harness.dcc.smi import Smi, Status
from harness.errors import BenchFault, LongWait
from harness.evidence import safe_name
from rig.bench.model import EZSP, EZSP_SIM, Bench
from rig.bench.runtime import BenchRuntime
from rig.clock import VirtualClock
from rig.radios.ezsp import EzspRadio, RadioGroup
from rig.radios.ncp_bench import EmulatedNcpBench
from rig.radios.protocol import DeliveryFailed, Radio
from rig.radios.sniffer import EzspSniffer
from rig.radios.sim import SIM_RADIO_VERSION, SimRadio
from rig.seal import SealedBench, SealedMapping, SealLog, seal

JOINING_ROLES = ("esme", "gsme", "ppmid", "hcalcs")
BASIC_CLUSTER = 0x0000
READ_ZCL_VERSION = bytes([0x00, 0x01, 0x00, 0x00, 0x00])  # ZCL Read Attributes (tsn 1): ZCLVersion
REAL_TIME_TICK = 0.05    # seconds between radio polls while real time passes


def unsupported(bench: Bench) -> str | None:
    """Why HAN sessions cannot run on `bench` yet (None when they can): real devices under test are not wired in,
    nor benches mixing simulated and real radios (they would need two clocks)."""
    duts = sorted(bench.duts())
    if duts:
        return f"HAN sessions with a real device under test ({', '.join(duts)}) are not supported yet"
    kinds = {role.radio.simulated for role in bench.emulators().values()}
    if len(kinds) > 1:
        return "HAN sessions on a bench mixing simulated and EZSP radios are not supported"
    return None


class HanSession:
    """Everything a HAN conformance test drives. `defects` maps a role to the defects its emulator plays."""

    def __init__(self, runtime: BenchRuntime, provisioning: Provisioning, workdir: Path, *,
                 defects: dict[str, tuple[str, ...]] | None = None, seed: int = 1,
                 impairments: Impairments | None = None, sealed: set[str] | frozenset[str] = frozenset(),
                 wall_limit: float | None = None):
        reason = unsupported(runtime.bench)
        if reason:
            raise BenchFault(reason)
        self.real_time = not isinstance(runtime.clock, VirtualClock)
        self._runtime = runtime
        self.sealed = set(sealed)
        self.seal_log = SealLog()
        self.wall_limit = wall_limit if self.real_time else None
        self.waited = 0.0    # seconds of run_for waits so far
        self.clock = runtime.clock
        self.provisioning = provisioning
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.defects = defects or {}
        self.capture = Capture(self.workdir / "han.pcap")
        self.medium = Medium(self.clock, seed=seed, impairments=impairments, capture=self.capture)
        self.ncp_bench: EmulatedNcpBench | None = None
        self.radio_group = RadioGroup()
        self._radios: dict[str, Radio] = {}
        self.sniffers: list[EzspSniffer] = []
        try:
            for role in runtime.roles:
                if role in ("chf", "hht") + JOINING_ROLES:
                    self._radios[role] = self._radio(role)
        except BaseException:
            self._close_radios()
            self.capture.close()
            raise
        for role, radio in self._radios.items():   # a sealed role's keys are its own: the air may show them
            if isinstance(radio, SimRadio):
                radio.capture_keys = role not in self.sealed
            elif role not in self.sealed:
                radio.key_sink = self.capture.key
        self.smi = Smi()
        self.core = DccCore(provisioning.keystore, CounterStore(self.workdir / "dcc-counters.json"))
        self._chf = ChfEmulator(runtime.link("chf"), self._radios["chf"], provisioning.han("chf"), self.clock,
                               network_key=hashlib.sha256(f"nwk|{seed}".encode()).digest()[:16],
                               channel=runtime.bench.channel, defects=self.defects.get("chf", ()),
                               gpf=(runtime.link("gpf"), self.eui("gpf")) if "gpf" in runtime.roles else None)
        self.dcc = HanServices(self.core, self.smi, self.clock, self._chf.wan_deliver, SUPPLIER)
        self._chf.alert_sink = self.dcc.on_alert
        self.devices = DeviceServices(self.core, self.smi, self.clock, self._chf.wan_deliver, self.dcc.record)
        self._chf.device_sink = self.devices.on_message
        self._devices: dict[str, HanDeviceEmulator] = {}
        self._hht: HhtEmulator | None = None
        if self.real_time:
            try:
                self._start_sniffers(self._chf.channel)
            except BaseException:
                self._close_radios()
                self.capture.close()
                raise
        self._chf.start()
        # a virtual clock tells us when it moves; in real time `run_for` and the radios' waits pump
        self._unfollow = self.clock.on_change(lambda _now: self.pump()) if not self.real_time else (lambda: None)

    def _start_sniffers(self, channel: int) -> None:
        """Every sniffer of the bench capturing on the HAN's `channel` (before the CHF forms its network)."""
        for n, (name, spec) in enumerate(self._runtime.bench.sniffers.items()):
            if spec.kind != EZSP:
                raise BenchFault(f"sniffer {name}: a {spec.kind} radio cannot capture on a real-time bench")
            sink = self.capture if n == 0 else Capture(self.workdir / f"sniffer-{safe_name(name)}.pcap")
            try:
                self.sniffers.append(EzspSniffer(spec.port, channel, sink, self.clock, baudrate=spec.baud,
                                                 flow_control=spec.flow_control))
            except BaseException:
                if sink is not self.capture:
                    sink.close()
                raise

    def _radio(self, role: str) -> Radio:
        spec = self._runtime.bench.roles[role].radio
        eui = self.provisioning.han(role).eui_int
        if spec.kind == EZSP:
            radio = EzspRadio(spec.port, spec.baud, flow_control=spec.flow_control, expected_eui=eui,
                              clock=self.clock, driver=self.radio_group)
            self.radio_group.radios.append(radio)
            return radio
        if self.real_time:
            raise BenchFault(f"{role}: a simulated radio needs the bench's virtual clock")
        if spec.kind != EZSP_SIM:
            return SimRadio(self.medium, eui, name=role)
        if self.ncp_bench is None:
            self.ncp_bench = EmulatedNcpBench(self.medium, spec.ezsp_version)
        return self.ncp_bench.radio(eui, role)

    def radio_versions(self, skip: set[str] = frozenset()) -> dict[str, str]:
        """Per role (but those in `skip`), what its radio runs: an NCP's EZSP and stack versions as it reports
        them, or that the role is on the simulated medium (no NCP)."""
        return {role: radio.ncp_version() if isinstance(radio, EzspRadio) else SIM_RADIO_VERSION
                for role, radio in self._radios.items() if role not in skip}

    @property
    def chf(self) -> ChfEmulator:
        """The CHF's host half (a sealed stand-in when the CHF is sealed)."""
        return seal("chf", self._chf, self.sealed, self.seal_log)

    @property
    def radios(self) -> SealedMapping:
        return SealedMapping(self._radios, "radio (key tables, link keys)", self.sealed, self.seal_log)

    @property
    def runtime(self) -> SealedBench:
        return SealedBench(self._runtime, self.sealed, self.seal_log)

    @property
    def chf_eui(self) -> bytes:
        return self.provisioning.han("chf").eui

    def eui(self, role: str) -> bytes:
        return self.provisioning.han(role).eui

    def eui_int(self, role: str) -> int:
        """The role's EUI-64 as an int (what the bench file says, printed on a real device)."""
        return self.provisioning.han(role).eui_int

    def air(self) -> Air:
        """The capture so far, dissected with the keys the rig knows: those its unsealed radios used, and the
        install-code keys it provisioned (a real hub's network key is then read off its Transport-Keys)."""
        keys = KeyRing.from_labels(self.capture.keys.keys())
        for role in self._radios:
            keys.add_link(self.provisioning.han(role).link_key, f"install-code link key of the {role}")
        keys.add_link(WELL_KNOWN_TC_KEY, "well-known trust-centre link key (ZigBeeAlliance09)")
        return Air.read(self.capture.path, keys)

    def exchange_data(self, role: str) -> None:
        """An APS-secured ZCL Read Attributes (Basic: ZCLVersion) between the CHF and `role`, sent by whichever of
        the two is not sealed (the CHF when neither is) with the link key it holds for the other: the air then
        shows whether the receiver takes, and acknowledges, frames secured with that key."""
        sender, receiver = ("chf", role) if "chf" not in self.sealed else (role, "chf")
        try:
            self._radios[sender].send_aps(self.eui_int(receiver), BASIC_CLUSTER, READ_ZCL_VERSION)
        except DeliveryFailed:
            pass  # no acknowledgement: what the capture shows is the verdict's evidence

    def device(self, role: str) -> HanDeviceEmulator:
        """The host half of a joining role (created on first use)."""
        if role not in self._devices:
            if role not in self._radios or role == "chf":
                raise BenchFault(f"role {role!r} is not an emulated HAN device on this bench")
            self._devices[role] = HanDeviceEmulator(self._runtime.link(role), self._radios[role],
                                                    self.provisioning.han(role), self.clock,
                                                    defects=self.defects.get(role, ()))
        return seal(role, self._devices[role], self.sealed, self.seal_log)

    def hht(self) -> HhtEmulator:
        """The host half of the installer's HHT (created on first use)."""
        if self._hht is None:
            if "hht" not in self._radios:
                raise BenchFault("this bench has no emulated HHT")
            self._hht = HhtEmulator(self._runtime.link("hht"), self._radios["hht"], self.provisioning.han("hht"),
                                    self.clock, defects=self.defects.get("hht", ()))
        return seal("hht", self._hht, self.sealed, self.seal_log)

    def power_on_ch(self) -> float:
        """Power-cycle the CH (its CHF board): RAM state lost, flash kept; returns the power-on time (UTC s)."""
        self._chf.link.call("power_cycle")
        power_on = self._chf.link.call("interpan.allowed")["power_on_ms"] / 1000
        self.pump()  # the CH acts on its power-on at once (e.g. requests its tunnels again)
        return power_on

    def commission_ch(self) -> None:
        """The CH has been installed and its CHF (and GPF) commissioned (BAD 7.2.1.6.3-6): the SMI records it."""
        for role in ("chf", "gpf"):
            if role in self.provisioning.euis:
                self.smi.prenotify(self.eui(role), role, self.clock.now())
                self.smi.set_status(self.eui(role), Status.COMMISSIONED, self.clock.now())

    def prenotify(self, role: str) -> None:
        """SRV 12.2 has been done: the device is Pending in the SMI."""
        self.smi.prenotify(self.eui(role), role, self.clock.now())

    def pump(self) -> None:
        self._chf.pump()
        for device in self._devices.values():
            device.pump()
        if self._hht is not None:
            self._hht.pump()

    def run_for(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass; timers (join deadlines, KE timeouts, frames) fire on the way. What the
        boards said since the clock last moved is handled first, at the time they said it.
        In real time, `LongWait` (before waiting) when the session's waits would come to more than its wall_limit."""
        if self.wall_limit is not None and self.waited + seconds > self.wall_limit:
            raise LongWait(f"its waits come to over {self.waited + seconds:.0f} s of wall time on this real-time "
                           f"bench (limit {self.wall_limit:.0f} s); rig run --allow-long runs it")
        self.waited += seconds
        self.pump()     # what the boards said since the clock last moved (a keypad entry) goes out now, not later
        if self.ncp_bench is not None:
            self.ncp_bench.advance(seconds)
        elif self.real_time:
            deadline = self.clock.now() + seconds
            while self.clock.now() < deadline:
                self.radio_group.wait(lambda: False, min(REAL_TIME_TICK, max(0.0, deadline - self.clock.now())))
                self.pump()
        else:
            self.clock.advance(seconds)
        self.pump()

    def close(self) -> None:
        """Stop pumping and carrying GBCS, take the radios off the medium (timers still pending fire into nothing),
        close the pcap."""
        self._unfollow()
        for device in self._devices.values():
            device.stop_carriage()
        self._chf.tunnels.close()
        self.medium.capture = None
        self._close_radios()
        self.capture.close()
        for sniffer in self.sniffers:   # a sniffer that lost its NCP left the capture incomplete
            sniffer.check()

    def _close_radios(self) -> None:
        for sniffer in self.sniffers:
            sniffer.close()
            if sniffer.sink is not self.capture:
                sniffer.sink.close()
        if self.ncp_bench is not None:
            self.ncp_bench.close()
        for radio in self._radios.values():
            if isinstance(radio, SimRadio):
                self.medium.detach(radio)
            elif self.ncp_bench is None:        # EZSP radios on serial ports (the NCP bench closes its own)
                radio.close()

