"""The `netgen` command line: parse arguments, call netgen.api, present the result.

Exit codes: 0 ok, 1 user error, 2 usage error, 3 drift/changes found, 70 internal error.
Results go to stdout; diagnostics and progress to stderr. The commands live in
:mod:`.inventory_commands`, :mod:`.state_commands` and :mod:`.lint_command`.
"""

from __future__ import annotations

import gc
import sys
from typing import Annotated

import typer

from netgen import __version__
from netgen.cli import (
    cloud_commands,
    diff_command,
    editor_commands,
    handoff_command,
    inventory_commands,
    lint_command,
    state_commands,
)
from netgen.cli.help import NetgenCommand, NetgenGroup

app = typer.Typer(
    name="netgen",
    cls=NetgenGroup,
    help="Plan Cloudflare Magic WAN / Magic Transit tunnels and generate router configs.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
    add_completion=True,
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"netgen {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """netgen: Cloudflare Magic WAN tunnels, planned and rendered."""


app.command(cls=NetgenCommand)(editor_commands.init)
app.command(cls=NetgenCommand)(editor_commands.split)
app.command(cls=NetgenCommand)(inventory_commands.validate)
app.command(cls=NetgenCommand)(inventory_commands.plan)
app.command(cls=NetgenCommand)(inventory_commands.render)
app.command(cls=NetgenCommand)(inventory_commands.vendors)
app.command(cls=NetgenCommand)(editor_commands.schema)
app.command("import", cls=NetgenCommand)(state_commands.import_)
app.add_typer(state_commands.secrets_app, name="secrets")
app.command(cls=NetgenCommand)(lint_command.lint)
app.command(cls=NetgenCommand)(diff_command.diff)
app.command(cls=NetgenCommand)(handoff_command.handoff)
app.command(cls=NetgenCommand)(cloud_commands.pull)
app.command(cls=NetgenCommand)(cloud_commands.apply)


def main() -> None:
    """Console-script entry point.

    A command is one short process that builds a fleet's model and keeps nearly all of it to
    the end, so the cyclic garbage collector is off for its lifetime: every collection would
    scan millions of live objects again (a third of a fleet render's time) to find cycles
    netgen hardly makes (peak memory measured the same either way). Reference counting still
    frees everything else. The library leaves the collector alone (it pauses it only around
    bulk loads, :func:`netgen.core.documents.paused_gc`)."""
    gc.disable()
    app()
