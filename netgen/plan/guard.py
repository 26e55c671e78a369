"""The net under the encoder rule: after a device is planned, every string in its plan must be
printable (a hit means a field bypassed its vendor's encoder: a bug, exit 70)."""

from __future__ import annotations


def all_printable(plan_repr: str) -> bool:
    """Fast check of a whole plan from its ``repr``, which escapes exactly the characters
    ``str.isprintable`` refuses (and backslashes): a repr without a backslash proves every
    string printable. Only a plan with a backslash somewhere needs the field-by-field walk."""
    return "\\" not in plan_repr


def unprintable_field(value: object, path: str = "plan") -> str | None:
    """The path of the first string in a plan that could start a new line or carry a control
    character, or None. Every outside string passed an encoder before it got into the plan;
    this is the net under that rule (a hit is a bug in netgen, not bad input)."""
    if isinstance(value, str):
        return None if value.isprintable() else path
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            found = unprintable_field(item, f"{path}[{i}]")
            if found:
                return found
        return None
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is None:
        return None
    for name in fields:
        found = unprintable_field(getattr(value, name), f"{path}.{name}")
        if found:
            return found
    return None
