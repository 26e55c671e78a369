"""The plan records' fast repr is the text dataclasses would write."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from netgen.api import session as session_mod

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "inventory.yaml"


def reference_repr(value: object) -> str:
    """dataclasses' own repr, spelled out (fields with repr=True, qualified class name)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        body = ", ".join(
            f"{f.name}={reference_repr(getattr(value, f.name))}"
            for f in dataclasses.fields(value)
            if f.repr
        )
        return f"{type(value).__qualname__}({body})"
    if isinstance(value, tuple):
        inner = ", ".join(reference_repr(x) for x in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def test_plan_repr_is_the_dataclass_repr() -> None:
    session = session_mod.open_session(EXAMPLE)
    plans = session_mod.device_plans(session_mod.plan_inputs(session))
    assert plans
    for plan in plans:
        assert repr(plan) == reference_repr(plan)
        assert "tunnels=(TunnelPlan(" in repr(plan)
