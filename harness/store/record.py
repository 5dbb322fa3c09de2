"""A run record (run.json, from a run folder, a push or the live run) read into what the store keeps.

The record is untrusted input: anything malformed raises `InputError` naming the field. The device under test
of a test case is the first of its ``dut`` roles that the bench has as a real device, else the first of its
``dut`` roles (an emulated DUT); its model and firmware come from the bench description (a real DUT's
``manufacturer``/``model``/``firmware`` when the bench file gives them) or, for an emulated role, from the
emulator's name and the firmware version its board reported.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from harness.errors import InputError
from harness.verdicts import Verdict

EMULATOR_MANUFACTURER = "gb-han-rig"
VERDICTS = {v.value for v in Verdict}


@dataclass(frozen=True)
class RoleRow:
    role: str
    kind: str
    board: str | None = None
    radio: str | None = None
    radio_port: str | None = None
    firmware: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    eui64: str | None = None
    radio_version: str | None = None


@dataclass(frozen=True)
class TestRow:
    nodeid: str
    verdict: str
    reason: str
    scenarios: tuple[int, ...]
    clause: str | None
    duration: float
    evidence: tuple[str, ...]
    dut_role: str = ""
    dut_model: str = ""
    dut_firmware: str = ""


@dataclass(frozen=True)
class RunData:
    run_id: str
    started: str
    finished: str | None
    interrupted: str | None
    bench: str
    bench_json: dict
    versions: dict
    roles: tuple[RoleRow, ...]
    tests: tuple[TestRow, ...] = field(default=())
    host: str | None = None


def _get(data: dict, key: str, kinds: tuple[type, ...], where: str, required: bool = True) -> Any:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise InputError(f"expected {' or '.join(k.__name__ for k in kinds)}, got {type(value).__name__}",
                         field=f"{where}.{key}")
    return value


def _timestamp(data: dict, key: str, required: bool = True) -> str | None:
    """An ISO 8601 UTC time as the store keeps it (``YYYY-MM-DDTHH:MM:SS.mmmZ``, which sorts as text)."""
    value = _get(data, key, (str,), "run", required)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {value[:40]!r}", field=f"run.{key}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _text(value: Any, limit: int | None = None, where: str = "") -> str | None:
    """`value` as text (None stays None); longer than `limit` (the store's column size) is an InputError."""
    if value is None:
        return None
    text = str(value)
    if limit is not None and len(text) > limit:
        raise InputError(f"longer than {limit} characters", field=where)
    return text


def parse_roles(bench: dict, versions: dict) -> tuple[RoleRow, ...]:
    """Each bench role as a store row: an emulator's board, radio and reported firmware, or a DUT's identity."""
    roles = {} if bench.get("roles") is None else bench["roles"]
    if not isinstance(roles, dict):
        raise InputError("expected an object", field="bench.roles")
    firmware, radios = versions.get("firmware") or {}, versions.get("radios") or {}
    for key, value in (("firmware", firmware), ("radios", radios)):
        if not isinstance(value, dict):
            raise InputError("expected an object", field=f"versions.{key}")
    rows = []
    for name, role in roles.items():
        if not isinstance(role, dict):
            raise InputError("expected an object", field=f"bench.roles.{name}")
        where = f"bench.roles.{name}"

        def field_(key: str, limit: int) -> str | None:
            return _text(role.get(key), limit, f"{where}.{key}")

        kind, name = _text(role.get("kind", "emulator"), 16, f"{where}.kind"), _text(name, 32, where)
        if kind == "dut":
            rows.append(RoleRow(role=name, kind=kind, radio=field_("via", 32), firmware=field_("firmware", 64),
                                manufacturer=field_("manufacturer", 128), model=field_("model", 128),
                                eui64=field_("eui64", 32)))
        else:
            rows.append(RoleRow(role=name, kind=kind, board=field_("board", 256), radio=field_("radio", 32),
                                radio_port=field_("radio_port", 256),
                                firmware=_text(firmware.get(name), 64, f"versions.firmware.{name}"),
                                manufacturer=EMULATOR_MANUFACTURER, model=f"emulated {name}",
                                eui64=field_("eui64", 32),
                                radio_version=_text(radios.get(name), 256, f"versions.radios.{name}")))
    return tuple(rows)


def dut_of(dut_roles: list[str], roles: dict[str, RoleRow]) -> RoleRow | None:
    """The test's device under test (see the module docstring), or None when it names no role on the bench."""
    present = [roles[r] for r in dut_roles if r in roles]
    real = [r for r in present if r.kind == "dut"]
    return (real or present or [None])[0]


def parse_test(data: Any, index: int, roles: dict[str, RoleRow]) -> TestRow:
    where = f"tests[{index}]"
    if not isinstance(data, dict):
        raise InputError("expected an object", field=where)
    verdict = _get(data, "verdict", (str,), where)
    if verdict not in VERDICTS:
        raise InputError(f"unknown verdict {verdict!r}", field=f"{where}.verdict")
    scenarios = _get(data, "scenarios", (list,), where, required=False) or []
    if not all(type(s) is int for s in scenarios):
        raise InputError("scenario ids must be integers", field=f"{where}.scenarios")
    evidence = _get(data, "evidence", (list,), where, required=False) or []
    if not all(isinstance(e, str) for e in evidence):
        raise InputError("evidence paths must be strings", field=f"{where}.evidence")
    dut_roles = _get(data, "dut", (list,), where, required=False) or []
    dut = dut_of([str(r) for r in dut_roles], roles)
    duration = _get(data, "duration", (int, float), where, required=False) or 0.0
    return TestRow(nodeid=_text(_get(data, "nodeid", (str,), where), 512, f"{where}.nodeid"), verdict=verdict,
                   reason=str(data.get("reason") or ""), scenarios=tuple(scenarios),
                   clause=_text(data.get("clause"), 4096, f"{where}.clause"), duration=float(duration),
                   evidence=tuple(evidence),
                   dut_role=dut.role if dut else "", dut_model=(dut.model or "") if dut else "",
                   dut_firmware=(dut.firmware or "") if dut else "")


def parse_run(data: Any, host: str | None = None) -> RunData:
    """A run.json document as `RunData`; `InputError` when it is not one."""
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", field="run.json")
    run_id = _get(data, "run_id", (str,), "run")
    if not run_id or len(run_id) > 64 or any(c in run_id for c in "/\\\0") or run_id in (".", ".."):
        raise InputError(f"not a run id: {run_id!r}", field="run.run_id")
    bench = _get(data, "bench", (dict,), "run")
    versions = _get(data, "versions", (dict,), "run", required=False) or {}
    _text(versions.get("rig"), 64, "run.versions.rig")
    roles = parse_roles(bench, versions)
    by_name = {r.role: r for r in roles}
    tests = _get(data, "tests", (list,), "run", required=False) or []
    return RunData(run_id=run_id, started=_timestamp(data, "started"),
                   finished=_timestamp(data, "finished", required=False),
                   interrupted=_text(data.get("interrupted")),
                   bench=_text(bench.get("name") or "?", 128, "bench.name"),
                   bench_json=bench, versions=versions, roles=roles,
                   tests=tuple(parse_test(t, i, by_name) for i, t in enumerate(tests)),
                   host=_text(host or data.get("host"), 128, "run.host"))


def load_run_json(text: str | bytes) -> RunData:
    """Parse the text of a run.json."""
    try:
        return parse_run(json.loads(text))
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"not JSON ({exc})", field="run.json") from None
