"""Reading ``--defect ROLE:NAME`` options against the defects the emulators know (`emulators.defects`)."""
from __future__ import annotations

from harness.errors import InputError


def parse_defect_options(values: list[str]) -> dict[str, tuple[str, ...]]:
    """``ROLE:NAME`` options as {role: (names...)}; InputError names a malformed or unknown one and lists the
    known ones."""
    from emulators.defects import known_defects

    known = known_defects()
    out: dict[str, tuple[str, ...]] = {}
    for value in values:
        role, _, name = value.partition(":")
        if not name:
            raise InputError(f"--defect {value!r}: expected ROLE:NAME, e.g. chf:admit_unlisted")
        if role not in known:
            raise InputError(f"--defect {value!r}: no role {role!r} plays defects (roles: {', '.join(sorted(known))})")
        if name not in known[role]:
            raise InputError(f"--defect {value!r}: role {role!r} has no defect {name!r} "
                             f"(known: {', '.join(sorted(known[role]))})")
        out[role] = out.get(role, ()) + (name,)
    return out
