"""Parsing the board's hello: malformed fields from the board give an InputError naming the field."""
from __future__ import annotations

import pytest

from harness.errors import InputError
from rig.boardlink import Hello

GOOD = {"proto": 1, "role": "chf", "fw": "0.1.0", "board_id": "chf-1", "eui64": None, "boots": 3, "state": "ready"}


def test_good_hello() -> None:
    assert Hello.parse(GOOD, "/dev/pts/9") == Hello(1, "chf", "0.1.0", "chf-1", None, 3, "ready")


@pytest.mark.parametrize("field, value", [("proto", "1"), ("proto", True), ("fw", None), ("boots", 1.5),
                                          ("role", 7), ("state", None)])
def test_bad_hello_field_is_named(field: str, value: object) -> None:
    with pytest.raises(InputError) as err:
        Hello.parse({**GOOD, field: value}, "/dev/pts/9")
    assert err.value.field == field and "/dev/pts/9" in str(err.value)
