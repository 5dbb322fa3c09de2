"""A running bench: boards started, firmware deployed and a board link open for every emulated role.

    with BenchRuntime(sim_bench(), workdir) as rt:
        rt.link("esme").call("state.get")
        rt.clock.advance(60)            # boards follow the virtual clock

Everything started is stopped on exit, also when starting fails half way (no orphan interpreters).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from harness.errors import BenchFault
from rig.bench.model import Bench, Emulator
from rig.boardlink.clock_follow import ClockFollower, follow_clock
from rig.boardlink.link import BoardLink
from rig.boards.deploy import board_config, connect_checked, deploy, firmware_files
from rig.boards.protocol import Board
from rig.boards.serial import SerialBoard
from rig.boards.sim import SimBoard
from rig.clock import Clock, RealClock, VirtualClock

Progress = Callable[[str], None]
BoardExtra = Callable[[str], dict]
"""Extra /config.json fields per role (GBCS identity, defects), merged into what `board_config` writes."""


def make_board(role: Emulator, workdir: Path) -> Board:
    """The board for an emulated role: a simulated board under `workdir`, or the real one on its port."""
    if role.simulated:
        # a simulated board arrives flashed with the firmware, as a bench's boards do after `rig firmware deploy`
        return SimBoard(role.role, workdir / role.role, heapsize=role.heapsize, factory_image=firmware_files())
    return SerialBoard(role.role, role.board, baud=role.baud, reset=role.reset)


def sim_unavailable(bench: Bench) -> str | None:
    """Why `bench`'s simulated boards cannot run on this host (None when it has none or they can)."""
    from rig.boards.sim import host_problem

    if not any(role.simulated for role in bench.emulators().values()):
        return None
    return host_problem()


def board_id(bench: Bench, role: Emulator) -> str:
    """The identity written to a board's /config.json and reported in its hello."""
    return f"sim-{role.role}" if role.simulated else f"{bench.name}/{role.role}"


def role_config(bench: Bench, role: Emulator, extra: dict | None = None) -> bytes:
    """The /config.json of an emulated role's board: identity, the release it reports (`firmware_version`, when the
    bench gives one) and `extra` fields."""
    fields = dict(extra or {})
    if role.firmware_version:
        fields["fw_version"] = role.firmware_version
    return board_config(role.role, board_id(bench, role), role.eui64, fields)


class BenchRuntime:
    """Context manager running a bench. `clock` defaults to a VirtualClock when every role is simulated (board
    and radio),
    else a RealClock; boards follow a virtual clock over their board link."""

    def __init__(self, bench: Bench, workdir: Path | str, clock: Clock | None = None, *,
                 progress: Progress | None = None, link_timeout: float = 5.0,
                 board_extra: BoardExtra | None = None):
        self.bench = bench
        self.board_extra = board_extra
        self.workdir = Path(workdir)
        self.clock: Clock = clock if clock is not None else (RealClock() if bench.real_time else VirtualClock())
        self.link_timeout = link_timeout
        self._say = progress or (lambda _line: None)
        self._boards: dict[str, Board] = {}
        self._links: dict[str, BoardLink] = {}
        self._followers: dict[str, ClockFollower] = {}

    @property
    def roles(self) -> tuple[str, ...]:
        """The emulated roles, each with a board and a link."""
        return tuple(self.bench.emulators())

    def board(self, role: str) -> Board:
        try:
            return self._boards[role]
        except KeyError:
            raise BenchFault(f"role {role!r} has no board on bench {self.bench.name} "
                             f"(emulated roles: {', '.join(self.roles) or 'none'})") from None

    def link(self, role: str) -> BoardLink:
        try:
            return self._links[role]
        except KeyError:
            raise BenchFault(f"role {role!r} has no board link on bench {self.bench.name} "
                             f"(emulated roles: {', '.join(self.roles) or 'none'})") from None

    def __enter__(self) -> "BenchRuntime":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start every board, deploy the firmware and open the links, in parallel; on failure stop all."""
        emulators = self.bench.emulators()
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            for name, role in emulators.items():
                self._boards[name] = make_board(role, self.workdir)
            self._parallel(lambda name: self._bring_up(name, emulators[name]), list(emulators))
            for name in self._links:
                self._follow(name)
        except BaseException:
            self.stop()
            raise

    def _follow(self, name: str) -> None:
        if isinstance(self.clock, VirtualClock):
            self._followers[name] = follow_clock(self._links[name], self.clock)

    def recover(self, name: str) -> None:
        """Bring a lost board back: power it off and on, redeploy, reopen its link, follow the clock again.
        The board's flash survives on a simulated board (as on a real one); its role state is whatever it kept."""
        role = self.bench.emulators()[name]
        follower = self._followers.pop(name, None)
        if follower is not None:
            follower.stop()
        link = self._links.pop(name, None)
        if link is not None:
            link.close()
        self.board(name).stop()
        self._bring_up(name, role)
        self._follow(name)
        self._say(f"{name}: recovered")

    @property
    def timed_power_cuts(self) -> bool:
        """Whether `power_cycle` can keep a board off for a while (`off_for`): on the virtual clock only."""
        return isinstance(self.clock, VirtualClock)

    def power_cycle(self, name: str, off_for: float = 0.0) -> None:
        """The bench cuts a board's power and restores it (its flash kept, its RAM lost), then reopens its link (the
        clock follower sets the board's clock again on the new hello). With `off_for` (seconds, a virtual clock
        only) the run's clock moves on that long while the board is off, and the board next hears the time after."""
        if off_for and not self.timed_power_cuts:
            raise BenchFault(f"{name}: a timed power cut needs the virtual clock; this bench runs in real time")
        follower = self._followers.pop(name, None) if off_for else None
        if follower is not None:
            follower.stop()
        self.board(name).power_cycle()
        if off_for:
            self.clock.advance(off_for)
        self.link(name).reconnect()
        if follower is not None:
            self._follow(name)
        self._say(f"{name}: power cycled" + (f" ({off_for:.0f} s off)" if off_for else ""))

    def reboot(self, name: str) -> None:
        """A software reboot of the board's firmware (not a loss of power), as its own restart would be."""
        self.link(name).call("reboot")
        self._say(f"{name}: rebooted")

    def _bring_up(self, name: str, role: Emulator) -> None:
        board = self._boards[name]
        board.start()
        extra = self.board_extra(name) if self.board_extra else None
        deploy(board.port, role_config(self.bench, role, extra), baud=role.baud, name=name)
        self._links[name] = connect_checked(board.port, name, baud=role.baud, timeout=self.link_timeout,
                                            log_path=self.workdir / f"{name}.link.log")
        self._say(f"{name}: ready on {board.port}")

    def _parallel(self, work: Callable[[str], None], names: list[str]) -> None:
        if not names:
            return
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            futures = [pool.submit(work, name) for name in names]
            errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error

    def stop(self) -> None:
        """Close every link and stop every board (idempotent)."""
        for follower in self._followers.values():
            follower.stop()
        self._followers = {}
        for link in self._links.values():
            link.close()
        self._links = {}
        for board in self._boards.values():
            board.stop()
        self._boards = {}
