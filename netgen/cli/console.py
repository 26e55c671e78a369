"""Presenting results: diagnostics to stderr, tables and JSON to stdout.

The only module (with cli.py) that prints. Respects NO_COLOR through rich.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, Task, TextColumn
from rich.progress import Progress as Bar
from rich.text import Text

from netgen.core.errors import Diagnostic, Severity, safe_text
from netgen.core.progress import Progress


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


# on a terminal, a code reported more often than this collapses to one line (--verbose: all)
GROUP_AT = 5
SHOWN_LOCATIONS = 3


def print_diagnostics(diags: Iterable[Diagnostic], *, verbose: bool = False) -> None:
    """Every diagnostic on stderr; on a terminal (and without ``verbose``) a code that occurs
    more than GROUP_AT times collapses to one line with its count and first locations."""
    err = stderr()
    items = list(diags)
    groups: dict[tuple[str, Severity], list[Diagnostic]] = {}
    for d in items:
        groups.setdefault((d.code, d.severity), []).append(d)
    collapse = err.is_terminal and not verbose
    done: set[tuple[str, Severity]] = set()
    for d in items:
        key = (d.code, d.severity)
        style = "red" if d.severity is Severity.ERROR else "yellow"
        group = groups[key]
        if not collapse or len(group) <= GROUP_AT:
            err.print(d.format(), style=style, markup=False)  # format() escapes controls
        elif key not in done:
            done.add(key)
            err.print(grouped_line(group), style=style, markup=False)


def grouped_line(group: list[Diagnostic]) -> str:
    """``warning NG503 ×8000: <first message> (at a:1:2, b:3:4, ... ; --verbose shows all)``"""
    first = group[0]
    places = [str(d.position) for d in group[:SHOWN_LOCATIONS] if d.position is not None]
    where = f" at {', '.join(places)}, ..." if places else ""
    return safe_text(
        f"{first.severity.value} {first.code} ×{len(group)}: {first.message}{where} "
        "(--verbose shows every one)"
    )


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


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


def bar_wanted(console: Console) -> bool:
    """A progress bar only on an interactive terminal: never when piped, on a dumb terminal,
    or with NO_COLOR set."""
    return console.is_terminal and not console.is_dumb_terminal and "NO_COLOR" not in os.environ


@contextmanager
def progress_bar(what: str, *, enabled: bool = True) -> Iterator[Progress | None]:
    """A transient progress bar on stderr (done/total, rate), or None where none is wanted."""
    err = stderr()
    if not (enabled and bar_wanted(err)):
        yield None
        return
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), _Rate())
    with Bar(*columns, console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
