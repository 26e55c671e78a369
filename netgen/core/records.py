"""Frozen records with a fast repr: the inventory's neutral model and the device plans.

A record's ``repr`` spells out every field, so netgen hashes it to tell whether the inputs of
a device changed (:mod:`netgen.plan.sources`) and scans it for unprintable strings (the guard
under the encoders, :mod:`netgen.plan.guard`). :func:`dataclasses.dataclass` writes that text
behind a guard against recursion that costs most of the time; records are trees of frozen
values, never cyclic, so :func:`plain_repr` writes the same text without it, and
:func:`record_text` writes it reusing the text of records and tuples that occur more than
once in the tree.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

_Record = TypeVar("_Record", bound=type[Any])
_RECORDS: dict[type, tuple[str, tuple[str, ...]]] = {}


def plain_repr(cls: _Record) -> _Record:
    """Give a frozen dataclass the repr :func:`dataclasses.dataclass` writes (same text),
    without the recursion guard."""
    names = tuple(f.name for f in fields(cls) if f.repr)
    qualname = cls.__qualname__

    def __repr__(self: object) -> str:  # noqa: N807 - the special method itself
        return f"{qualname}(" + ", ".join([f"{n}={getattr(self, n)!r}" for n in names]) + ")"

    __repr__.__qualname__ = f"{qualname}.__repr__"
    setattr(cls, "__repr__", __repr__)  # noqa: B010 - assigning a special method
    _RECORDS[cls] = (qualname, names)
    return cls


def record_text(value: object) -> str:
    """``repr(value)``, with each record or tuple that occurs more than once in it (the hops
    every route shares, the proposals every tunnel shares) written once and reused."""
    return _text(value, {})


def _text(value: object, memo: dict[int, tuple[str, object]]) -> str:
    # a module-level function, not a closure: a recursive closure is a reference cycle that
    # would keep each plan's memo alive until the cyclic GC runs (the CLI runs without it)
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return repr(value)
    found = memo.get(id(value))
    if found is not None:
        return found[0]
    record = _RECORDS.get(kind)
    if record is not None:
        qualname, names = record
        body = ", ".join([f"{n}={_text(getattr(value, n), memo)}" for n in names])
        out = f"{qualname}({body})"
    elif kind is tuple:
        items = [_text(v, memo) for v in value]  # type: ignore[attr-defined]
        out = f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    else:
        out = repr(value)
    memo[id(value)] = (out, value)  # the value is kept so that its id is not reused
    return out
