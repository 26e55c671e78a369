"""The net under the encoder rule: after a device is planned, every string in its plan must be
printable (a hit means a field bypassed its vendor's encoder: a bug, exit 70)."""

from __future__ import annotations


def all_printable(plan: object) -> bool:
    """Fast check of a whole plan: every string in it is printable. Records and tuples are
    visited once each (a plan shares its proposals and route hops), and no path is spelled
    out; :func:`unprintable_field` names the culprit when this says no."""
    seen: set[int] = set()
    stack = [plan]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str:
            if not value.isprintable():  # type: ignore[attr-defined]
                return False
            continue
        if id(value) in seen:
            continue
        if kind is tuple:
            seen.add(id(value))
            stack.extend(value)  # type: ignore[arg-type]
            continue
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(getattr(kind, "__dataclass_fields__", ()))
        if names:
            seen.add(id(value))
            stack.extend([getattr(value, n) for n in names])
        elif isinstance(value, str) and not str(value).isprintable():  # a str subclass
            return False
    return True


_FIELDS: dict[type, tuple[str, ...]] = {}  # the fields of each record type (empty: a leaf)


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
