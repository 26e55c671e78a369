"""What every command shares: option types, calling the library, mapping errors to
diagnostics and exit codes (0 ok, 1 input error, 2 usage, 3 drift, 70 internal)."""

from __future__ import annotations

import os
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
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Every diagnostic, one per line (a terminal groups repeats)."
    ),
]
InventoryArg = Annotated[
    Path,
    typer.Argument(
        help="The inventory: a YAML file, or a directory of netgen.yaml and sites/*.yaml.",
        show_default=False,
        metavar="INVENTORY",
    ),
]
MaybeInventoryArg = Annotated[
    Path | None,
    typer.Argument(
        help="The inventory: a YAML file, or a directory of netgen.yaml and sites/*.yaml "
        "(default: $NETGEN_INVENTORY, else ./inventory.yaml).",
        show_default=False,
        metavar="INVENTORY",
    ),
]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Neither use nor update the cache beside the lock (.netgen-cache/, safe to "
        "delete); NETGEN_NO_CACHE=1 does the same for every command.",
    ),
]
INVENTORY_ENV = "NETGEN_INVENTORY"
DEFAULT_INVENTORY = Path("inventory.yaml")


def inventory_path(value: Path | None, *, as_json: bool = False) -> Path:
    """INVENTORY as given; else $NETGEN_INVENTORY; else ./inventory.yaml (saying which was
    used, on stderr); else a usage error (exit 2)."""
    if value is not None:
        return value
    env = os.environ.get(INVENTORY_ENV)
    if env:
        notify(f"using {env} (from ${INVENTORY_ENV})")
        return Path(env)
    if DEFAULT_INVENTORY.is_file():
        notify(f"using ./{DEFAULT_INVENTORY}")
        return DEFAULT_INVENTORY
    fail(
        [
            Diagnostic(
                "NG110",
                "no inventory given",
                hint=f"pass INVENTORY, set {INVENTORY_ENV}, or run where inventory.yaml is",
            )
        ],
        as_json,
        2,
    )
    raise AssertionError("unreachable")


def run(fn: Callable[[], T], *, as_json: bool, debug: bool, verbose: bool = False) -> T:
    """Call the library; map errors to diagnostics and exit codes."""
    try:
        return fn()
    except UserError as exc:
        fail(exc.diagnostics, as_json, exc.exit_code, verbose=verbose)
    except NetgenError as exc:  # internal, on purpose
        internal_error(exc, debug)
    except (KeyboardInterrupt, typer.Exit):
        raise
    except Exception as exc:
        internal_error(exc, debug)
    raise AssertionError("unreachable")  # pragma: no cover


def fail(diags: list[Diagnostic], as_json: bool, code: int, *, verbose: bool = False) -> None:
    if as_json:
        print_json({"ok": False, "diagnostics": [d.to_json() for d in diags]})
    print_diagnostics(diags, verbose=verbose)
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
