"""Frozen records with a fast repr: the inventory's neutral model and the device plans.

A record's ``repr`` spells out every field (what a failing test or a debugging session shows
of a plan). :func:`dataclasses.dataclass` writes that text behind a guard against recursion
that costs most of the time; records are trees of frozen values, never cyclic, so
:func:`plain_repr` writes the same text without it.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

_Record = TypeVar("_Record", bound=type[Any])


def plain_repr(cls: _Record) -> _Record:
    """Give a frozen dataclass the repr :func:`dataclasses.dataclass` writes (same text),
    without the recursion guard."""
    names = tuple(f.name for f in fields(cls) if f.repr)
    qualname = cls.__qualname__

    def __repr__(self: object) -> str:  # noqa: N807 - the special method itself
        return f"{qualname}(" + ", ".join([f"{n}={getattr(self, n)!r}" for n in names]) + ")"

    __repr__.__qualname__ = f"{qualname}.__repr__"
    setattr(cls, "__repr__", __repr__)  # noqa: B010 - assigning a special method
    return cls
