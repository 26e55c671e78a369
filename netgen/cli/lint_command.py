"""`netgen lint`: check router configs against Cloudflare's rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netgen import api
from netgen.cli.common import (
    DebugOpt,
    JsonOpt,
    run,
)
from netgen.cli.console import (
    print_json,
    stderr,
)
from netgen.core.errors import safe_text


def lint(
    configs: Annotated[
        list[Path],
        typer.Argument(
            help="Router config files (one device).", show_default=False, metavar="CONFIG..."
        ),
    ],
    vendor: Annotated[
        str, typer.Option("--vendor", help="Vendor id (netgen vendors).", metavar="VENDOR")
    ],
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory",
            help="Cross-check endpoints, identities and /31s with this inventory (a file or "
            "an inventory directory).",
            metavar="INVENTORY",
        ),
    ] = None,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check router configs against Cloudflare's tunnel rules (exit 1 on errors).

    Example: netgen lint out/sites/nyc01/nyc01-edge1.ios --vendor cisco_iosxe
    """
    result = run(
        lambda: api.lint_configs(list(configs), vendor, inventory), as_json=as_json, debug=debug
    )
    if as_json:
        print_json(result.to_json())
    err = stderr()
    for finding in result.findings:
        err.print(safe_text(finding.format()), markup=False)
    err.print(
        f"{len(result.errors)} error(s), {len(result.warnings)} warning(s) in "
        f"{len(configs)} file(s)",
        markup=False,
    )
    raise typer.Exit(result.exit_code)
