"""Presenting results: diagnostics to stderr, tables and JSON to stdout.

The only module (with cli.py) that prints. Respects NO_COLOR through rich.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console

from netgen.core.errors import Diagnostic, Severity, safe_text


def stdout() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=True, emoji=False)


def stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True, emoji=False)


def write_lines(text: str, *, err: bool = False) -> None:
    """Write human text: every line is escaped by :func:`safe_text`, so nothing that came
    from a file or an API response can reach the terminal as a control sequence."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    stream = sys.stderr if err else sys.stdout
    stream.write("".join(safe_text(line) + "\n" for line in lines))


def print_diagnostics(diags: Iterable[Diagnostic]) -> None:
    err = stderr()
    for d in diags:
        style = "red" if d.severity is Severity.ERROR else "yellow"
        err.print(d.format(), style=style, markup=False)  # format() escapes control characters


def summary_line(diags: list[Diagnostic]) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diags)
    warnings = len(diags) - errors
    return f"{errors} error(s), {warnings} warning(s)"


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def print_table(columns: list[str], rows: list[list[str]]) -> None:
    """Plain aligned columns: readable in a terminal, greppable in a pipe, never wrapped."""
    rows = [[safe_text(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in [columns, ["-" * w for w in widths], *rows]
    ]
    sys.stdout.write("\n".join(lines) + "\n")
