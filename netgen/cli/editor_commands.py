"""Commands that write or describe inventories: init, split, schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netgen import api
from netgen.cli.common import DebugOpt, JsonOpt, notify, run
from netgen.cli.console import print_json, stderr, write_lines


def init(
    directory: Annotated[
        Path, typer.Argument(help="Where to write inventory.yaml.", metavar="DIRECTORY")
    ] = Path(),
    force: Annotated[bool, typer.Option(help="Overwrite an existing inventory.yaml.")] = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write a commented starter inventory, its JSON Schema (editors complete and check fields
    as you type) and a .gitignore for the secrets store and output directories.

    Example: netgen init wan/
    """
    result = run(lambda: api.init_project(directory, force=force), as_json=as_json, debug=debug)
    if as_json:
        print_json(
            {
                "ok": True,
                "inventory": str(result.inventory),
                "schema": str(result.schema),
                "gitignore": str(result.gitignore),
                "gitignore_created": result.gitignore_created,
                "gitignore_added": list(result.gitignore_added),
            }
        )
        return
    for path in result.written:
        write_lines(f"wrote {path}\n")
    if result.gitignore_added and not result.gitignore_created:
        write_lines(f"appended to .gitignore: {', '.join(result.gitignore_added)}\n")
    stderr().print(f"next: netgen validate {result.inventory}", markup=False)


def split(
    inventory: Annotated[
        Path,
        typer.Argument(help="The inventory YAML file to split.", metavar="INVENTORY"),
    ],
    directory: Annotated[
        Path,
        typer.Argument(help="The new inventory directory (must not hold anything).", metavar="DIR"),
    ],
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Split an inventory file into a directory of files that every command reads like it.

    DIR/netgen.yaml gets every top-level key but sites, DIR/sites/<site>.yaml one site each,
    kept as written where possible. Move the lock and secrets store into DIR yourself.

    Example: netgen split inventory.yaml wan/
    """
    result = run(lambda: api.split_inventory(inventory, directory), as_json=as_json, debug=debug)
    if as_json:
        print_json(
            {
                "ok": True,
                "directory": str(result.directory),
                "files": [str(p) for p in result.files],
                "dumped": list(result.dumped),
                "state_files": [str(p) for p in result.state_files],
            }
        )
        return
    write_lines(f"wrote {result.directory} ({len(result.files) - 1} site files)\n")
    if result.dumped:
        notify(f"rewritten by yaml.safe_dump (comments lost): {', '.join(result.dumped)}")
    for path in result.state_files:
        notify(f"move {path} into {result.directory} (the directory's lock and store live there)")
    stderr().print(f"next: netgen validate {result.directory}", markup=False)


def schema() -> None:
    """Print the inventory's JSON Schema (for editors and CI checks).

    Example: netgen schema > netgen.schema.json
    """
    write_lines(api.schema_text())
