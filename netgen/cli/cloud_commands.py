"""`netgen pull` and `netgen apply`: the live Cloudflare account through the official SDK."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from netgen import api
from netgen.cli.common import DebugOpt, JsonOpt, MaybeInventoryArg, VerboseOpt, inventory_path, run
from netgen.cli.console import print_diagnostics, print_json, stderr, write_lines
from netgen.core.errors import UsageError

AdoptOpt = Annotated[
    bool,
    typer.Option("--adopt", help="Keep Cloudflare's interface address for tunnels the lock lacks."),
]
SaveOpt = Annotated[
    Path | None,
    typer.Option("--save", help="Also write the raw list responses here.", metavar="DIR"),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Only read: show the changes, change nothing.")
]
ApproveOpt = Annotated[
    bool, typer.Option("--auto-approve", help="Apply without asking (CI); else a TTY asks.")
]


def pull(
    inventory: MaybeInventoryArg = None,
    save: SaveOpt = None,
    adopt: AdoptOpt = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """List the account's GRE and IPsec tunnels and routes, and import them into the lock as
    `netgen import` imports saved responses. Token: CLOUDFLARE_API_TOKEN only.

    Example: netgen pull inventory.yaml --save responses/
    """
    path = inventory_path(inventory, as_json=as_json)
    result = run(
        lambda: api.pull(path, save=save, adopt=adopt),
        as_json=as_json,
        debug=debug,
        verbose=verbose,
    )
    if as_json:
        print_json(result.to_json())
        return
    print_diagnostics(result.imported.diagnostics, verbose=verbose)
    for change in result.imported.changes:
        write_lines(change)
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items())
    stderr().print(
        f"pulled {counts}; lock {'updated' if result.imported.lock_written else 'unchanged'}",
        markup=False,
    )


def _show(changeset: Any) -> None:
    marks = {"create": "+", "update": "~", "delete": "-"}
    for change in changeset.ordered():
        line = f"{marks[change.action]} {change.action} {change.kind} {change.name}"
        if change.fields:
            line += ": " + ", ".join(
                f"{k} {json.dumps(v[0])} → {json.dumps(v[1])}" for k, v in change.fields.items()
            )
        write_lines(line)
    for u in changeset.unmanaged:
        write_lines(f"  unmanaged {u.kind} {u.name} ({u.object_id}): left alone")


def _confirm(changeset: Any) -> bool:
    _show(changeset)
    return typer.confirm("Apply these changes to the Cloudflare account?", default=False)


def apply(
    inventory: MaybeInventoryArg = None,
    dry_run: DryRunOpt = False,
    auto_approve: ApproveOpt = False,
    adopt: AdoptOpt = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Make the Cloudflare account match the inventory: create, update and delete tunnels and
    routes netgen manages (never anything else), in a safe order, writing the lock and the
    PSKs as it goes; then list again to verify. Asks first on a terminal.

    Example: netgen apply inventory.yaml --dry-run
    """
    path = inventory_path(inventory, as_json=as_json)
    confirm = None if (auto_approve or dry_run) else _confirm

    def go() -> Any:
        if confirm is not None and not sys.stdin.isatty():
            raise UsageError.single(
                "NG635",
                "apply needs a confirmation: no terminal to ask on",
                hint="pass --auto-approve (CI), or --dry-run to only look",
            )
        return api.apply(path, dry_run=dry_run, adopt=adopt, confirm=confirm)

    result = run(go, as_json=as_json, debug=debug, verbose=verbose)
    if as_json:
        print_json(result.to_json())
        return
    print_diagnostics(result.diagnostics, verbose=verbose)
    if confirm is None:
        _show(result.changeset)
    counts = result.changeset.counts()
    if result.changeset.empty:
        message = "no changes: the account matches the inventory"
    elif dry_run:
        message = (
            f"dry run: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete; nothing was changed"
        )
    else:
        message = f"applied {len(result.applied)} changes; " + (
            "verified: the account matches the inventory"
            if result.verified
            else "the account still differs (run apply again, or netgen apply --dry-run)"
        )
    stderr().print(message, markup=False)
    if result.verified is False:
        raise typer.Exit(1)
