"""The net under the encoder rule (netgen.plan.guard): a plan holding a string that could start
a new line or carry a control character is found, wherever it sits, and named by its path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from netgen.api import session as session_mod
from netgen.plan.guard import all_printable, unprintable_field
from netgen.plan.model import DevicePlan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "inventory.yaml"


@pytest.fixture(scope="module")
def plans() -> list[DevicePlan]:
    session = session_mod.open_session(EXAMPLE)
    return session_mod.device_plans(session_mod.plan_inputs(session))


def test_real_plans_are_printable(plans: list[DevicePlan]) -> None:
    assert plans
    for plan in plans:
        assert all_printable(plan)
        assert unprintable_field(plan) is None


BAD = ["a\nb", "x\rshutdown", "tab\there", "\x1b[2J", "nul\x00", "\u2028"]


@pytest.mark.parametrize("bad", BAD)
def test_an_unprintable_string_deep_in_a_plan_is_found(plans: list[DevicePlan], bad: str) -> None:
    plan = next(p for p in plans if p.tunnels)
    tunnel = plan.tunnels[-1]  # the last item of a tuple inside a record inside the plan
    broken = dataclasses.replace(
        plan, tunnels=(*plan.tunnels[:-1], dataclasses.replace(tunnel, name=bad))
    )
    assert not all_printable(broken)
    assert unprintable_field(broken) == f"plan.tunnels[{len(plan.tunnels) - 1}].name"


def test_a_shared_record_is_checked_where_it_first_occurs(plans: list[DevicePlan]) -> None:
    plan = next(p for p in plans if len(p.tunnels) > 1)
    shared = dataclasses.replace(plan.tunnels[0], name="ok\n")
    broken = dataclasses.replace(plan, tunnels=(shared, shared))  # one record, twice
    assert not all_printable(broken)
    assert unprintable_field(broken) == "plan.tunnels[0].name"
