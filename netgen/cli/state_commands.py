"""Commands on the state beside the inventory: import of API responses, secrets."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from netgen import api
from netgen.cli.common import (
    DebugOpt,
    InventoryArg,
    JsonOpt,
    MaybeInventoryArg,
    VerboseOpt,
    inventory_path,
    notify,
    read_psk_from_stdin,
    run,
)
from netgen.cli.console import (
    print_diagnostics,
    print_json,
    print_table,
    write_lines,
)
from netgen.cli.help import NetgenCommand, NetgenGroup
from netgen.core.documents import read_bytes
from netgen.core.limits import MAX_DOCUMENT_BYTES


def import_(
    inventory: InventoryArg,
    responses: Annotated[
        list[str],
        typer.Argument(
            help="Saved API responses (JSON files), or - for stdin.",
            show_default=False,
            metavar="RESPONSE...",
        ),
    ],
    adopt: Annotated[
        bool, typer.Option("--adopt", help="Take Cloudflare's interface_address when it differs.")
    ] = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Merge saved Cloudflare API responses into the lock (PSKs into the secrets store).

    Example: netgen import inventory.yaml responses/*.json
    """

    def read_all() -> list[tuple[str, bytes]]:
        out = []
        for name in responses:
            if name == "-":
                # bounded like a file: more than the limit is NG107, never a MemoryError
                out.append(("<stdin>", sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)))
            else:
                out.append((name, read_bytes(Path(name))))
        return out

    result = run(
        lambda: api.import_responses(inventory, read_all(), adopt=adopt, notify=notify),
        as_json=as_json,
        debug=debug,
        verbose=verbose,
    )
    if as_json:
        print_json(result.to_json())
    else:
        for change in result.changes:
            write_lines(change + "\n")
        if not result.changes:
            write_lines("nothing to change\n")
    print_diagnostics(result.diagnostics, verbose=verbose)


secrets_app = typer.Typer(
    cls=NetgenGroup,
    help="PSKs: list fingerprints, set from stdin, generate. Values are never printed.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@secrets_app.command("list", cls=NetgenCommand)
def secrets_list(
    inventory: MaybeInventoryArg = None, as_json: JsonOpt = False, debug: DebugOpt = False
) -> None:
    """Tunnel, source, fingerprint and age of every PSK (never the value).

    Example: netgen secrets list inventory.yaml
    """
    path = inventory_path(inventory, as_json=as_json)
    listing = run(lambda: api.secrets_list(path), as_json=as_json, debug=debug)
    if as_json:
        print_json(
            {"secrets": listing.rows, "diagnostics": [d.to_json() for d in listing.diagnostics]}
        )
    else:
        print_table(
            ["tunnel", "source", "fingerprint", "updated", "age (days)", "in inventory"],
            [
                [
                    r["tunnel"],
                    r["source"],
                    r["fingerprint"] or "-",
                    r["updated"] or "-",
                    "-" if r["age_days"] is None else str(r["age_days"]),
                    "yes" if r["in_inventory"] else "no",
                ]
                for r in listing.rows
            ],
        )
    print_diagnostics(listing.diagnostics)


@secrets_app.command("set", cls=NetgenCommand)
def secrets_set(
    inventory: InventoryArg,
    tunnel: Annotated[
        str, typer.Argument(help="The IPsec tunnel.", show_default=False, metavar="TUNNEL")
    ],
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Store a PSK for TUNNEL, read from stdin (never from the command line).

    Example: netgen secrets set inventory.yaml nyc01_1a_cf1 < psk.txt
    """
    change, diags = run(
        lambda: api.secrets_set(inventory, tunnel, read_psk_from_stdin(), notify=notify),
        as_json=as_json,
        debug=debug,
    )
    if as_json:
        print_json({"changes": [change], "diagnostics": [d.to_json() for d in diags]})
    else:
        write_lines(change + "\n")
    print_diagnostics(diags)


@secrets_app.command("generate", cls=NetgenCommand)
def secrets_generate(
    inventory: InventoryArg,
    tunnels: Annotated[
        list[str] | None,
        typer.Argument(
            help="Tunnels (default: every IPsec tunnel without a PSK).", metavar="[TUNNEL]..."
        ),
    ] = None,
    show_request_body: Annotated[
        bool,
        typer.Option(
            "--show-request-body",
            help="Print the PUT request bodies, which CONTAIN THE PSKs, to stdout.",
        ),
    ] = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Generate strong random PSKs for Cloudflare's "use my own pre-shared key" flow.

    Example: netgen secrets generate inventory.yaml nyc01_1a_cf1
    """
    result = run(
        lambda: api.secrets_generate(inventory, tunnels or [], notify=notify),
        as_json=as_json,
        debug=debug,
    )
    requests: list[dict[str, Any]] = []
    if show_request_body:
        session = run(lambda: api.open_session(inventory), as_json=as_json, debug=debug)
        account_id = session.loaded.inventory.account_id
        requests = [
            {
                "tunnel": g.tunnel,
                "method": "PUT",
                "path": g.request_path(account_id),
                "body": g.request_body(),
            }
            for g in result.generated
        ]
    if as_json:
        doc: dict[str, Any] = {"changes": result.changes}
        if show_request_body:
            doc["requests"] = requests
        print_json(doc)
        return
    for change in result.changes or ["nothing to generate"]:
        write_lines(change + "\n")
    for r in requests:
        write_lines(f"{r['method']} {r['path']}\n{json.dumps(r['body'])}\n")
