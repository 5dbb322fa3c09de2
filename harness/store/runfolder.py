"""The files of a run folder that leave the machine (pushes, evidence bundles), and unpacking a pushed run.

Only run.json, junit.xml and the evidence files run.json lists are taken, each checked to lie inside the
folder; nothing under the bench's provisioning folder (the bench SMKI's private keys) is ever taken.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path, PurePosixPath

from harness.errors import InputError
from harness.store.record import RunData, load_run_json

RUN_FILES = ("run.json", "junit.xml")
EXCLUDED = ("bench/provisioning",)
PUSH_LIMIT = 512 * 1024 * 1024  # bytes unpacked from one pushed run


def safe_member(name: str) -> str:
    """`name` if it is a relative POSIX path that stays inside its folder; InputError otherwise."""
    path = PurePosixPath(name)
    if not name or "\\" in name or "\0" in name or path.is_absolute() or ".." in path.parts or \
            any(str(path).startswith(x) for x in EXCLUDED):
        raise InputError(f"not a safe relative path: {name!r}", field="path")
    return str(path)


def read_run(folder: Path) -> RunData:
    """The run record of a run folder."""
    try:
        text = (folder / "run.json").read_bytes()
    except OSError as exc:
        raise InputError(f"no run.json ({exc.strerror})", field=str(folder)) from None
    return load_run_json(text)


def run_files(folder: Path, run: RunData) -> list[str]:
    """Relative paths of the files to send or bundle: run.json, junit.xml and each existing evidence file."""
    root = folder.resolve()
    names = [n for n in RUN_FILES if (root / n).is_file()]
    for test in run.tests:
        for name in test.evidence:
            try:
                name = safe_member(name)
            except InputError:
                continue
            path = (root / name).resolve()
            if root in path.parents and path.is_file() and name not in names:
                names.append(name)
    return names


def pack(folder: Path) -> tuple[RunData, bytes]:
    """A run folder as a zip (what `rig results push` sends)."""
    run = read_run(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in run_files(folder, run):
            zf.write(folder / name, name)
    return run, buffer.getvalue()


def unpack(data: bytes, into: Path) -> RunData:
    """Check a pushed zip and extract it to `into`/<run id>; InputError (nothing written) when it is bad."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
        names = [safe_member(i.filename) for i in infos if not i.is_dir()]
        if sum(i.file_size for i in infos) > PUSH_LIMIT:
            raise InputError("pushed run is too large", field="zip")
        if "run.json" not in names:
            raise InputError("no run.json in the pushed zip", field="zip")
        run = load_run_json(zf.read("run.json"))
        folder = into / run.run_id
        for info, name in zip([i for i in infos if not i.is_dir()], names):
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
        return run
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError) as exc:
        raise InputError(f"not a readable zip ({exc})", field="zip") from None


def bench_description(run: RunData) -> bytes:
    """The bench description a bundle carries: the bench as run.json records it."""
    return (json.dumps(run.bench_json, indent=2, sort_keys=True) + "\n").encode()
