"""The bench model: per role, an emulator (a MicroPython board plus a radio) or a device under test."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("chf", "gpf", "esme", "gsme", "ppmid", "hht", "hcalcs")
SIM = "sim"
EZSP = "ezsp"
EZSP_SIM = "ezsp-sim"       # bellows over a pty to an emulated NCP on the simulated medium (built-in sim-ezsp benches)
RADIO_KINDS = (SIM, EZSP)
RESETS = ("machine", "dtr")
DEFAULT_BAUD = 115200
DEFAULT_EZSP_BAUD = 115200
# A simulated board's heap: about a Raspberry Pi Pico 2's RAM (520 KB). The boards compile the firmware's source at
# import; with GBCS, OTA and credit on a meter, a Pico-sized 256K heap fragments (MemoryError in a full run).
# Precompiling the firmware (mpy-cross) is what would bring the Pico (264 KB) back within reach.
DEFAULT_HEAP = "512K"
DEFAULT_CHANNEL = 15       # the HAN's channel unless the bench file names one (the emulated CHF's default too)
DEFAULT_SEED = 1
FLOW_CONTROLS = ("hardware", "software")   # pyserial RTS/CTS or XON/XOFF; absent = none
DEFAULT_LONG_LIMIT = 15 * 60   # seconds of waits a test may make on a real-time bench without --allow-long


@dataclass(frozen=True)
class Radio:
    """A radio: the simulated medium, an EZSP NCP on a serial port, or (`ezsp-sim`) bellows driving an emulated
    NCP of EZSP version `ezsp_version` on the simulated medium."""

    kind: str
    port: str | None = None
    baud: int = DEFAULT_EZSP_BAUD
    flow_control: str | None = None
    ezsp_version: int | None = None

    @property
    def simulated(self) -> bool:
        return self.kind in (SIM, EZSP_SIM)


@dataclass(frozen=True)
class Emulator:
    """A role played by the rig: a MicroPython board (`board` is a pyserial URL or "sim") and its radio."""

    role: str
    board: str
    radio: Radio
    eui64: str
    baud: int = DEFAULT_BAUD
    reset: str = "machine"
    heapsize: str = DEFAULT_HEAP
    firmware_version: str | None = None  # the release the emulated device reports in its hello (default: the rig's)
    kind: str = field(default="emulator", init=False)

    @property
    def simulated(self) -> bool:
        return self.board == SIM


@dataclass(frozen=True)
class Dut:
    """A real device under test, reached over the radio of the emulator role `via`; its identity (manufacturer,
    model, firmware version) as the bench file states it, for the results store."""

    role: str
    eui64: str
    install_code: bytes
    via: str
    certificates: dict[str, Path] = field(default_factory=dict)
    manufacturer: str | None = None
    model: str | None = None
    firmware_version: str | None = None
    kind: str = field(default="dut", init=False)


Role = Emulator | Dut


@dataclass(frozen=True)
class Bench:
    """A whole bench. `source` is the bench file, or None for the built-in sim bench. `loss` is the probability
    that the simulated medium drops a frame on its way to each receiver, drawn from a generator seeded `seed`.
    `long_limit`: on a bench that runs in real time, a test whose waits come to more seconds than this runs only
    when long tests are allowed (`rig run --allow-long`)."""

    name: str
    roles: dict[str, Role]
    sniffers: dict[str, Radio] = field(default_factory=dict)
    channel: int = DEFAULT_CHANNEL
    source: Path | None = None
    loss: float = 0.0
    seed: int = DEFAULT_SEED
    long_limit: float = DEFAULT_LONG_LIMIT

    @property
    def real_time(self) -> bool:
        """Whether the bench runs in real time: some board, radio or device is real (a virtual clock needs every
        role simulated)."""
        return not all(isinstance(r, Emulator) and r.simulated and r.radio.simulated for r in self.roles.values())

    def emulators(self) -> dict[str, Emulator]:
        return {name: role for name, role in self.roles.items() if isinstance(role, Emulator)}

    def duts(self) -> dict[str, Dut]:
        return {name: role for name, role in self.roles.items() if isinstance(role, Dut)}
