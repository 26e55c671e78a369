"""How inventory rules report: a positioned diagnostic, and the shape of a rule."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from netgen.core.documents import PathKey, PositionIndex
from netgen.core.errors import Diagnostic, Severity
from netgen.inventory.model import Inventory

Check = Callable[[Inventory, PositionIndex], Iterator[Diagnostic]]


def diag(
    index: PositionIndex,
    path: PathKey,
    code: str,
    message: str,
    hint: str | None = None,
    *,
    warning: bool = False,
) -> Diagnostic:
    return Diagnostic(
        code, message, Severity.WARNING if warning else Severity.ERROR, index.position(path), hint
    )
