"""A test's evidence folder, `<results>/<safe test name>/`: everything written here is kept, pass or fail.

Producers write straight to disk (a transcript line or a log line is appended and flushed at once), so a test
that crashes or hangs still leaves what it produced.
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

NAME_LIMIT = 100
TRANSCRIPT = "gbcs-transcript.txt"


def safe_name(nodeid: str) -> str:
    """A folder name for a test id: `tests/conformance/test_join.py::test_a[x]` -> `test_join__test_a-x`.

    Directories and `.py` are dropped, anything outside ``[A-Za-z0-9._-]`` becomes ``-``; long names are cut and
    given a hash of the full id so they stay unique.
    """
    path, _, rest = nodeid.partition("::")
    stem = path.rsplit("/", 1)[-1]
    stem = stem[:-3] if stem.endswith(".py") else stem
    text = stem + ("__" + rest.replace("::", "__") if rest else "")
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "test"
    if len(text) > NAME_LIMIT:
        digest = hashlib.sha1(nodeid.encode()).hexdigest()[:8]
        text = f"{text[:NAME_LIMIT - 9]}-{digest}"
    return text


def _checked_name(name: str) -> str:
    """`name` if it is a plain file name inside the folder (no separators, not hidden-dot tricks)."""
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\0" in name:
        raise ValueError(f"evidence name must be a plain file name, not {name!r}")
    return name


class Evidence:
    """The evidence folder of one test, with helpers to attach files, text, transcripts and logs."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        """A path in the folder for a producer that writes its own file (a pcap writer, a keys file)."""
        return self.folder / _checked_name(name)

    def attach_file(self, source: Path | str, name: str | None = None) -> Path:
        """Copy `source` into the folder (under `name`, default its own name)."""
        source = Path(source)
        target = self.path(name or source.name)
        shutil.copyfile(source, target)
        return target

    def attach_text(self, name: str, text: str) -> Path:
        """Write `text` as a file in the folder (replacing one of the same name)."""
        target = self.path(name)
        target.write_text(text, encoding="utf-8")
        return target

    def append(self, name: str, line: str) -> Path:
        """Append one line to a file in the folder, flushed at once."""
        target = self.path(name)
        with target.open("a", encoding="utf-8") as handle:
            handle.write(line.rstrip("\n") + "\n")
        return target

    def transcript(self, line: str) -> Path:
        """Append a line to the test's GBCS transcript."""
        return self.append(TRANSCRIPT, line)

    def board_log(self, role: str, line: str) -> Path:
        """Append a line to the log of the board playing `role`."""
        return self.append(f"board-{_checked_name(role)}.log", line)

    def files(self) -> list[Path]:
        """Every file in the folder (recursively), sorted."""
        return sorted(p for p in self.folder.rglob("*") if p.is_file())
