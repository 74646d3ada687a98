"""docs/ODD.md's parameter tables match the config metadata (regenerated and compared)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def tables():
    spec = importlib.util.spec_from_file_location("make_parameter_tables",
                                                  DOCS / "make_parameter_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_section_appears_once_and_is_up_to_date(tables):
    text = (DOCS / "ODD.md").read_text()
    found = {m["name"]: m.group(0) for m in tables.BLOCK.finditer(text)}
    expected = tables.sections()
    assert sorted(found) == sorted(expected), "add or remove parameter blocks in ODD.md"
    assert len(list(tables.BLOCK.finditer(text))) == len(expected)
    stale = [name for name, table in expected.items()
             if found[name] != tables.render(name, table)]
    assert not stale, (f"parameter tables {stale} in docs/ODD.md are out of date; run "
                       "python docs/make_parameter_tables.py --update")


def test_tables_cover_every_config_field(tables):
    import dataclasses

    from netsim.config import Scenario

    rendered = "\n".join(tables.sections().values())

    def keys(obj: object, prefix: str = "") -> list[str]:
        out = []
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                out += keys(value, f"{prefix}{f.name}.")
            else:
                out.append(f"{prefix}{f.name}")
        return out

    for key in keys(Scenario()):
        assert f"`{key}`" in rendered, key
