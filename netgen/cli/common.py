"""What every command shares: option types, calling the library, mapping errors to
diagnostics and exit codes (0 ok, 1 input error, 2 usage, 3 drift, 70 internal)."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from netgen.cli.console import (
    print_diagnostics,
    print_json,
    stderr,
    summary_line,
)
from netgen.core.errors import Diagnostic, NetgenError, UserError, safe_text
from netgen.core.limits import MAX_STRING

T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")]
InventoryArg = Annotated[Path, typer.Argument(help="The inventory YAML file.", show_default=False)]


def run(fn: Callable[[], T], *, as_json: bool, debug: bool) -> T:
    """Call the library; map errors to diagnostics and exit codes."""
    try:
        return fn()
    except UserError as exc:
        fail(exc.diagnostics, as_json, exc.exit_code)
    except NetgenError as exc:  # internal, on purpose
        internal_error(exc, debug)
    except (KeyboardInterrupt, typer.Exit):
        raise
    except Exception as exc:
        internal_error(exc, debug)
    raise AssertionError("unreachable")  # pragma: no cover


def fail(diags: list[Diagnostic], as_json: bool, code: int) -> None:
    if as_json:
        print_json({"ok": False, "diagnostics": [d.to_json() for d in diags]})
    print_diagnostics(diags)
    stderr().print(summary_line(diags), markup=False)
    raise typer.Exit(code)


def read_psk_from_stdin() -> str:
    """A PSK from stdin: at most MAX_STRING characters (never cut silently: NG109)."""
    value = sys.stdin.read(MAX_STRING + 1)
    if len(value) > MAX_STRING:
        raise UserError.single(
            "NG109",
            f"the PSK on stdin is longer than {MAX_STRING} characters (value not shown)",
            file="<stdin>",
            hint="pipe exactly one PSK, e.g. printf '%s' \"$PSK\" | netgen secrets set ...",
        )
    return value


def notify(message: str) -> None:
    """Progress from the library (waiting for the writer lock, repairs): one line on stderr."""
    stderr().print(safe_text(message), markup=False)


def internal_error(exc: BaseException, debug: bool) -> None:
    err = stderr()
    err.print(safe_text(f"internal error: {type(exc).__name__}: {exc}"), markup=False)
    if debug:
        err.print("".join(traceback.format_exception(exc)), markup=False)
    else:
        err.print("this is a bug in netgen; rerun with --debug for the traceback", markup=False)
    raise typer.Exit(70)
