"""Diagnostics and the exception hierarchy.

Every user-facing problem is a :class:`Diagnostic` with a stable ``NG###`` code (catalogued in
:mod:`netgen.core.codes`), a position when one is known, and a hint. Stages collect diagnostics and
raise :class:`UserError` once with all of them, so a user sees every mistake in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

SHOWN_MAX = 60


def safe_text(text: str) -> str:
    """``text`` with every non-printable character written as an escape (``\\x1b``, ``\\n``,
    ``\\u2028``): a string from a file or an API response can never move the cursor, clear
    the screen or forge a line once it reaches a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown(value: str) -> str:
    """A hostile value quoted for a message: escaped by ``repr`` and cut to a readable length."""
    if len(value) > SHOWN_MAX:
        return repr(value[:SHOWN_MAX]) + f"... ({len(value)} characters)"
    return repr(value)


class Severity(StrEnum):
    """How bad a diagnostic is."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Position:
    """A place in an input file (1-based line and column)."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the inputs (or, for lint, in a config)."""

    code: str
    message: str
    severity: Severity = Severity.ERROR
    position: Position | None = None
    hint: str | None = None
    field: str | None = None

    def format(self) -> str:
        """The one text form: ``file:line:col: error NG402: message (hint: ...)``, on one line
        and free of control characters whatever the inputs held."""
        where = f"{self.position}: " if self.position else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return safe_text(f"{where}{self.severity.value} {self.code}: {self.message}{hint}")

    def to_json(self) -> dict[str, Any]:
        """The same fields as :meth:`format`, as a JSON object."""
        pos = self.position
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "field": self.field,
            "file": pos.file if pos else None,
            "line": pos.line if pos else None,
            "column": pos.column if pos else None,
        }

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Stable order: by file, line, column, code, message."""
        pos = self.position
        return (
            pos.file if pos else "",
            (pos.line or 0) if pos else 0,
            (pos.column or 0) if pos else 0,
            self.code,
            self.message,
        )


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Deterministic order, duplicates removed."""
    return sorted(set(diags), key=Diagnostic.sort_key)


class NetgenError(Exception):
    """Base of every error netgen raises on purpose."""

    exit_code = 70


class UserError(NetgenError):
    """The user's input is wrong; exit code 1. Carries every diagnostic found."""

    exit_code = 1

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0].format() if diagnostics else "invalid input"
        super().__init__(first)

    @classmethod
    def single(
        cls,
        code: str,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> UserError:
        pos = Position(str(file), line, column) if file is not None else None
        return cls([Diagnostic(code, message, position=pos, hint=hint)])


class UsageError(UserError):
    """The command was asked for something it does not do (e.g. lint for a vendor without a
    lint section); exit code 2, like a command-line usage error."""

    exit_code = 2


class InternalError(NetgenError):
    """A bug in netgen; exit code 70."""

    exit_code = 70
