"""`netgen diff`: what changes between two revisions of the inventory, or two output dirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from netgen import api
from netgen.cli.common import DebugOpt, JsonOpt, run
from netgen.cli.console import print_json, stderr, write_lines


def diff(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="INVENTORY (compared across git revisions), or OLD_DIR NEW_DIR (two render "
            "output directories).",
            show_default=False,
        ),
    ],
    old: Annotated[str, typer.Option("--from", help="Git revision of the old side.")] = "HEAD",
    new: Annotated[
        str | None, typer.Option("--to", help="Git revision of the new side (default: files).")
    ] = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 3 when anything differs (for CI gates).")
    ] = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Tunnels added/removed/changed, each changed device's config diff, and the Cloudflare
    API bodies to create, update and delete. PSKs are never shown.

    Example: netgen diff inventory.yaml --from v1.2 --exit-code
    """
    if len(paths) == 2:
        result = run(lambda: api.diff_directories(*paths), as_json=as_json, debug=debug)
    elif len(paths) == 1:
        result = run(lambda: api.diff_revisions(paths[0], old, new), as_json=as_json, debug=debug)
    else:
        raise typer.BadParameter("give INVENTORY, or OLD_DIR NEW_DIR")
    if as_json:
        print_json(result.to_json())
    else:
        _print(result)
    stderr().print(
        f"{result.old} → {result.new}: "
        + (f"{len(result.devices)} device(s) change" if result.changed else "no changes"),
        markup=False,
    )
    raise typer.Exit(3 if exit_code and result.changed else 0)


def _print(result: Any) -> None:
    t = result.tunnels
    for name in t["added"]:
        write_lines(f"+ tunnel {name}")
    for name in t["removed"]:
        write_lines(f"- tunnel {name}")
    for change in t["changed"]:
        fields = ", ".join(f"{k} {v[0]} → {v[1]}" for k, v in change["fields"].items())
        write_lines(f"~ tunnel {change['name']}: {fields}")
    for d in result.devices:
        write_lines(f"\n{d['status']}: {d['site']}/{d['device']} ({'; '.join(d['reasons'])})")
        write_lines(d["diff"])
    for action, parts in result.cloudflare.items():
        for kind, bodies in parts.items():
            for body in bodies:
                write_lines(f"cloudflare {action} {kind}: {json.dumps(body, sort_keys=True)}")
