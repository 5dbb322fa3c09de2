"""Checks against the air: a query API over a dissected capture, in the style of OpenThread's pktverify.

    air = Air.read("han.pcap")                      # keys from the keys file beside it (or pass a KeyRing)
    assoc = air.filter(command="association_response", dst=esme).must_next()
    assert assoc["wpan.assoc_status"] == 0
    air.filter(command="transport_key", dst=esme).must_next()
    air.filter(layer="ke", src=esme, command="terminate_ke").must_not_next()

`Air` holds a cursor: `must_next()` finds the first matching frame after it and moves it there, so successive
checks read the capture in order; `must_not_next()` checks that no matching frame follows (up to the view's end).
Filters narrow by layer, source/destination (an EUI-64 as an int or 8 octets, or a short address), cluster,
command, field values (`ke_status=1` means the field `ke.status`) and any predicate. A failed check raises a
`CaptureCheckFailed` (the device under test did not do, or did, what the rule says) whose message names the
frame numbers, so an engineer opens the pcap at that frame.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

from harness.capture.dissect import KeyRing, Packet, dissect_file, eui_int
from harness.capture.keys import UAT_NAME, read_uat
from harness.errors import ConformanceFailure

Predicate = Callable[[Packet], bool]


class CaptureCheckFailed(ConformanceFailure):
    """A frame the rule requires is missing from the capture, or a frame it forbids is there."""


class Air:
    """A dissected capture and the cursor successive checks move along."""

    def __init__(self, packets: list[Packet], name: str = "capture"):
        self.packets = packets
        self.name = name
        self.cursor = 0          # index of the first packet the next search considers

    @classmethod
    def read(cls, pcap: str | Path, keys: KeyRing | None = None) -> "Air":
        """Dissect the pcap at `pcap` with `keys`, by default those of the Wireshark keys file beside it."""
        pcap = Path(pcap)
        if keys is None:
            uat = pcap.with_name(UAT_NAME)
            keys = KeyRing.from_labels(read_uat(uat) if uat.exists() else {})
        return cls(dissect_file(pcap, keys), pcap.name)

    # -- views --------------------------------------------------------------------------------------------------
    def filter(self, predicate: Predicate | None = None, *, layer: str | None = None, src: Any = None,
               dst: Any = None, cluster: int | None = None, command: str | int | None = None,
               **fields: Any) -> "View":
        return View(self, []).filter(predicate, layer=layer, src=src, dst=dst, cluster=cluster, command=command,
                                     **fields)

    def must_next(self) -> Packet:
        return View(self, []).must_next()

    def must_not_next(self) -> None:
        View(self, []).must_not_next()

    # -- cursor -------------------------------------------------------------------------------------------------
    def rewind(self) -> "Air":
        """Back to the first frame."""
        self.cursor = 0
        return self

    def after(self, packet: Packet) -> "Air":
        """Move the cursor to just after `packet`."""
        self.cursor = packet.number
        return self

    @property
    def last_number(self) -> int:
        return self.packets[-1].number if self.packets else 0

    def undecoded(self) -> list[Packet]:
        """Frames with problems (malformed, or no known key opens them)."""
        return [p for p in self.packets if p.problems]

    def __len__(self) -> int:
        return len(self.packets)

    def __iter__(self) -> Iterator[Packet]:
        return iter(self.packets)


class View:
    """The frames of an `Air` matching every condition, from its cursor up to an optional end frame."""

    def __init__(self, air: Air, conditions: list[tuple[str, Predicate]], end: int | None = None):
        self.air = air
        self.conditions = conditions
        self.end = end           # frame number the view stops before (None: the end of the capture)

    def filter(self, predicate: Predicate | None = None, *, layer: str | None = None, src: Any = None,
               dst: Any = None, cluster: int | None = None, command: str | int | None = None,
               **fields: Any) -> "View":
        """A narrower view: every given condition must hold."""
        new = list(self.conditions)
        if layer is not None:
            new.append((f"layer {layer}", lambda p: p.has(layer)))
        if src is not None:
            new.append((f"from {_addr(src)}", _address_is(src, "src")))
        if dst is not None:
            new.append((f"to {_addr(dst)}", _address_is(dst, "dst")))
        if cluster is not None:
            new.append((f"cluster 0x{cluster:04X}", lambda p: p.cluster == cluster))
        if command is not None:
            new.append((f"command {command}", _command_is(command)))
        for key, value in fields.items():
            name = key.replace("_", ".", 1)
            new.append((f"{name} == {_value(value)}", lambda p, n=name, v=value: n in p.fields and p.fields[n] == v))
        if predicate is not None:
            new.append((getattr(predicate, "__name__", "predicate"), predicate))
        return View(self.air, new, self.end)

    def before(self, packet: Packet | int) -> "View":
        """Only frames before `packet` (a packet or a frame number)."""
        return View(self.air, self.conditions, packet if isinstance(packet, int) else packet.number)

    def matches(self, packet: Packet) -> bool:
        return all(test(packet) for _, test in self.conditions)

    def candidates(self) -> list[Packet]:
        """The frames from the cursor to the view's end (whatever they are)."""
        out = self.air.packets[self.air.cursor:]
        return [p for p in out if self.end is None or p.number < self.end]

    def all(self) -> list[Packet]:
        """Every matching frame from the cursor on (the cursor does not move)."""
        return [p for p in self.candidates() if self.matches(p)]

    def first(self) -> Packet | None:
        found = self.all()
        return found[0] if found else None

    def next(self) -> Packet | None:
        """The first matching frame after the cursor, moving the cursor past it; None when there is none."""
        packet = self.first()
        if packet is not None:
            self.air.cursor = packet.number
        return packet

    def must_next(self) -> Packet:
        """The first matching frame after the cursor (the cursor moves past it); else CaptureCheckFailed."""
        packet = self.next()
        if packet is None:
            raise CaptureCheckFailed(f"no frame {self.describe()} in {self._span()}{self._unopened()}")
        return packet

    def must_not_next(self) -> None:
        """No matching frame after the cursor; else CaptureCheckFailed quoting the first one."""
        packet = self.first()
        if packet is not None:
            raise CaptureCheckFailed(f"frame #{packet.number} is {self.describe()}, which must not appear "
                                     f"(searched {self._span()}): {packet.summary()}")

    def describe(self) -> str:
        return "[" + ", ".join(text for text, _ in self.conditions) + "]" if self.conditions else "[any]"

    def _span(self) -> str:
        frames = self.candidates()
        bound = f" before frame #{self.end}" if self.end is not None else ""
        if not frames:
            return f"{self.air.name} after frame #{self.air.cursor}{bound} (no frames there)"
        return f"{self.air.name} frames #{frames[0].number}-#{frames[-1].number}"

    def _unopened(self) -> str:
        hidden = [p.number for p in self.candidates() if p.problems]
        if not hidden:
            return ""
        shown = ", ".join(f"#{n}" for n in hidden[:8]) + (" ..." if len(hidden) > 8 else "")
        return f"; {len(hidden)} frame(s) there could not be fully decoded: {shown}"


def _address_is(value: Any, side: str) -> Predicate:
    """A source/destination test: an EUI-64 (int above 0xFFFF, or 8 octets) or a short address."""
    if isinstance(value, (bytes, bytearray)) or value > 0xFFFF:
        eui = eui_int(value)
        return lambda p: p.fields.get(f"{side}64") == eui
    return lambda p: value in (p.fields.get(f"nwk.{side}"), p.fields.get(f"wpan.{side}16"))


def _command_is(command: str | int) -> Predicate:
    if isinstance(command, str):
        return lambda p: p.command == command
    return lambda p: command in (p.fields.get("ke.cmd"), p.fields.get("aps.cmd"), p.fields.get("nwk.cmd"),
                                 p.fields.get("wpan.cmd"), p.fields.get("zcl.cmd"))


def _addr(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return value.hex().upper()
    return f"{value:016X}" if value > 0xFFFF else f"0x{value:04X}"


def _value(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return value.hex().upper()
    return repr(value)
