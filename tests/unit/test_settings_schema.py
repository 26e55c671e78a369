"""A tunnel setting is declared once (SettingsIn) and documented once (docs/inventory.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from netgen.inventory.schema import SettingsIn, TunnelIn

DOC = Path(__file__).resolve().parents[2] / "docs" / "inventory.md"


def _leaves(model: type[BaseModel], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, info in model.model_fields.items():
        sub = _model_in(info.annotation)
        if sub is not None and name != "crypto":
            out |= _leaves(sub, f"{prefix}{name}.")
        else:
            out.add(f"{prefix}{name}")
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def test_explicit_tunnels_take_every_setting() -> None:
    assert issubclass(TunnelIn, SettingsIn)


def test_settings_table_documents_exactly_the_schema() -> None:
    text = DOC.read_text()
    section = text.split("## Tunnel settings", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", section, re.M))
    assert documented == _leaves(SettingsIn)
