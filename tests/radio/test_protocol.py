"""Both radios implement the whole Radio interface with the same call signatures."""
from __future__ import annotations

import inspect

import pytest

from rig.radios.ezsp import EzspRadio
from rig.radios.protocol import Radio
from rig.radios.sim import SimRadio

METHODS = [name for name, value in vars(Radio).items() if inspect.isfunction(value) and not name.startswith("_")]


def _params(func) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


@pytest.mark.parametrize("impl", [SimRadio, EzspRadio])
@pytest.mark.parametrize("name", METHODS)
def test_implements_the_interface(impl, name):
    assert hasattr(impl, name), f"{impl.__name__} lacks {name}"
    assert _params(getattr(impl, name)) == _params(getattr(Radio, name)), f"{impl.__name__}.{name} signature differs"
