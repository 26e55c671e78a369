"""`netgen handoff`: a printable per-site packet for the field technician."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from netgen import api
from netgen.cli.common import DebugOpt, JsonOpt, MaybeInventoryArg, VerboseOpt, inventory_path, run
from netgen.cli.console import print_diagnostics, print_json, progress_bar, stderr

OutOpt = Annotated[
    Path,
    typer.Option("--output", "-o", help="Directory for the packets (DIR/<site>/).", metavar="DIR"),
]
SiteOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--site", help="Only this site (repeatable; default: every site).", metavar="SITE"
    ),
]
PdfOpt = Annotated[
    bool, typer.Option("--pdf", help="Also print DIR/<site>/<site>.pdf (headless Chromium).")
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="Rollback to this git revision (netgen diff's rollback) instead of removal.",
        metavar="REV",
    ),
]
SecretsOpt = Annotated[
    bool,
    typer.Option(
        "--include-secrets",
        help="Also write DIR/<site>/secrets.txt (0600) with the PSKs, for a separate channel.",
    ),
]


class Paper(StrEnum):
    a4 = "a4"
    letter = "letter"


PaperOpt = Annotated[
    Paper, typer.Option("--paper", help="Print size of the page and the PDF: a4 or letter.")
]


def handoff(
    out_dir: OutOpt,
    inventory: MaybeInventoryArg = None,
    site: SiteOpt = None,
    pdf: PdfOpt = False,
    from_rev: FromOpt = None,
    include_secrets: SecretsOpt = False,
    paper: PaperOpt = Paper.a4,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Per site: index.html (diagram, tunnels, pre-checks, config in paste order with copy
    buttons, verification, rollback, troubleshooting, checksums), configs/ with SHA256SUMS,
    and optionally a PDF. PSKs are placeholders; --include-secrets writes them beside it.

    Example: netgen handoff inventory.yaml -o packets/ --site nyc01 --pdf
    """
    inventory = inventory_path(inventory, as_json=as_json)
    with progress_bar("writing packets", enabled=not as_json) as progress:
        result = run(
            lambda: api.handoff(
                inventory,
                out_dir,
                sites=site or [],
                pdf=pdf,
                from_rev=from_rev,
                include_secrets=include_secrets,
                paper=paper.value,
                progress=progress,
            ),
            as_json=as_json,
            debug=debug,
            verbose=verbose,
        )
    if as_json:
        print_json(result.to_json())
    else:
        print_diagnostics(result.diagnostics, verbose=verbose)
    stderr().print(
        f"wrote handoff packets for {len(result.sites)} site(s) to {out_dir}"
        f" ({len(result.files)} files)",
        markup=False,
    )
