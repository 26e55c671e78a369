"""The `netgen` command line: parse arguments, call netgen.api, present the result.

Exit codes: 0 ok, 1 user error, 2 usage error, 3 drift/changes found, 70 internal error.
Results go to stdout; diagnostics and progress to stderr.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from netgen import __version__, api
from netgen.console import (
    print_diagnostics,
    print_json,
    print_table,
    stderr,
    summary_line,
    write_lines,
)
from netgen.errors import Diagnostic, NetgenError, UserError, safe_text
from netgen.sources import MAX_DOCUMENT_BYTES, MAX_STRING, read_bytes
from netgen.starter import write_starter

app = typer.Typer(
    name="netgen",
    help="Plan Cloudflare Magic WAN / Magic Transit tunnels and generate router configs.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")]
InventoryArg = Annotated[Path, typer.Argument(help="The inventory YAML file.", show_default=False)]


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


def _run(fn: Callable[[], T], *, as_json: bool, debug: bool) -> T:
    """Call the library; map errors to diagnostics and exit codes."""
    try:
        return fn()
    except UserError as exc:
        _fail(exc.diagnostics, as_json, exc.exit_code)
    except NetgenError as exc:  # internal, on purpose
        _internal(exc, debug)
    except (KeyboardInterrupt, typer.Exit):
        raise
    except Exception as exc:
        _internal(exc, debug)
    raise AssertionError("unreachable")  # pragma: no cover


def _fail(diags: list[Diagnostic], as_json: bool, code: int) -> None:
    if as_json:
        print_json({"ok": False, "diagnostics": [d.to_json() for d in diags]})
    print_diagnostics(diags)
    stderr().print(summary_line(diags), markup=False)
    raise typer.Exit(code)


def _read_psk_from_stdin() -> str:
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


def _notify(message: str) -> None:
    """Progress from the library (waiting for the writer lock, repairs): one line on stderr."""
    stderr().print(safe_text(message), markup=False)


def _internal(exc: BaseException, debug: bool) -> None:
    err = stderr()
    err.print(safe_text(f"internal error: {type(exc).__name__}: {exc}"), markup=False)
    if debug:
        err.print("".join(traceback.format_exception(exc)), markup=False)
    else:
        err.print("this is a bug in netgen; rerun with --debug for the traceback", markup=False)
    raise typer.Exit(70)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write inventory.yaml.")] = Path(),
    force: Annotated[bool, typer.Option(help="Overwrite an existing inventory.yaml.")] = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write a commented starter inventory."""
    path = _run(lambda: write_starter(directory, force=force), as_json=as_json, debug=debug)
    if as_json:
        print_json({"ok": True, "inventory": str(path)})
    else:
        write_lines(f"wrote {path}\nnext: netgen validate {path}\n")


@app.command()
def validate(inventory: InventoryArg, as_json: JsonOpt = False, debug: DebugOpt = False) -> None:
    """Check the inventory against the schema and Cloudflare's rules; report every problem."""
    result = _run(lambda: api.validate(inventory), as_json=as_json, debug=debug)
    if as_json:
        print_json(
            {
                "ok": True,
                "inventory": str(result.inventory),
                "sites": result.sites,
                "devices": result.devices,
                "tunnels": result.tunnels,
                "diagnostics": [d.to_json() for d in result.diagnostics],
            }
        )
    else:
        write_lines(
            f"{result.inventory}: ok ({result.sites} sites, {result.devices} "
            f"devices, {result.tunnels} tunnels)\n"
        )
    print_diagnostics(result.diagnostics)


@app.command()
def plan(
    inventory: InventoryArg,
    write_lock: Annotated[
        bool, typer.Option("--write-lock", help="Write netgen.lock.yaml.")
    ] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Release orphaned tunnels.")] = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show tunnel names, /31s, statuses and the Cloudflare API payloads."""
    result = _run(
        lambda: api.plan(inventory, write_lock=write_lock, prune=prune, notify=_notify),
        as_json=as_json,
        debug=debug,
    )
    if as_json:
        print_json(result.to_json())
    else:
        rows = [
            [
                t["site"],
                t["device"],
                t["name"],
                t["type"],
                t["endpoint"],
                t["cloudflare_address"],
                t["customer_address"],
                t["status"],
            ]
            for t in result.tunnels
        ]
        rows += [
            [
                o["site"],
                o["device"],
                o["name"],
                "-",
                o["endpoint"],
                o["interface_address"],
                "-",
                o["status"],
            ]
            for o in result.orphans
        ]
        print_table(
            [
                "site",
                "device",
                "tunnel",
                "type",
                "endpoint",
                "cloudflare side",
                "customer side",
                "status",
            ],
            rows,
        )
    print_diagnostics(result.diagnostics)
    err = stderr()
    if result.lock_written:
        err.print(f"lock written: {result.lock_path}", markup=False)
    elif result.lock_changed:
        err.print("lock not written (use --write-lock to record these allocations)", markup=False)


@app.command()
def render(
    inventory: InventoryArg,
    output: Annotated[
        str, typer.Option("-o", "--output", help="Output directory, or - for stdout (one device).")
    ],
    check: Annotated[bool, typer.Option("--check", help="Exit 3 if DIR differs.")] = False,
    site: Annotated[list[str] | None, typer.Option("--site", help="Only this site.")] = None,
    device: Annotated[list[str] | None, typer.Option("--device", help="Only this device.")] = None,
    reveal_secrets: Annotated[
        bool, typer.Option("--reveal-secrets", help="Write real PSKs (files become 0600).")
    ] = False,
    allow_placeholders: Annotated[
        bool,
        typer.Option("--allow-placeholders", help="Render even when API identities are missing."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace DIR even though it holds files netgen did not write (they are lost).",
        ),
    ] = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Render router configs and Cloudflare API payloads."""
    to_stdout = output == "-"
    if to_stdout and check:
        raise typer.BadParameter("--check needs a directory", param_hint="-o")
    result = _run(
        lambda: api.render(
            inventory,
            None if to_stdout else Path(output),
            check=check,
            sites=site or (),
            devices=device or (),
            reveal_secrets=reveal_secrets,
            allow_placeholders=allow_placeholders,
            force=force,
            notify=_notify,
        ),
        as_json=as_json,
        debug=debug,
    )
    print_diagnostics(result.diagnostics)
    if to_stdout:
        _print_device(result.files, as_json)
        return
    if as_json:
        print_json(result.to_json())
    elif check:
        for path, change in result.drift:
            write_lines(f"{change}: {path}\n")
    else:
        write_lines(f"wrote {len(result.manifest())} files to {result.out_dir}\n")
    if result.lock_written:
        stderr().print("lock updated with new allocations", markup=False)
    if check and result.drift:
        print_diagnostics(
            [
                Diagnostic(
                    "NG902",
                    f"{len(result.drift)} file(s) in {output} differ from what would be rendered",
                    hint="render again and commit the output, or find who edited it by hand",
                )
            ]
        )
        raise typer.Exit(3)


def _print_device(files: list[Any], as_json: bool) -> None:
    configs = [f for f in files if f.path.startswith("sites/")]
    devices = {
        f.path.rsplit("/", 1)[0] + "/" + f.path.rsplit("/", 1)[1].split(".")[0] for f in configs
    }
    if len(devices) != 1:
        _fail(
            [
                Diagnostic(
                    "NG508",
                    f"-o - prints one device, but {len(devices)} are selected",
                    hint="add --device NAME",
                )
            ],
            as_json,
            1,
        )
    if as_json:
        print_json({"files": [{"path": f.path, "content": f.content.decode()} for f in configs]})
        return
    for f in configs:
        if len(configs) > 1:
            sys.stdout.write(f"# ==> {f.path} <==\n")
        sys.stdout.write(f.content.decode())


@app.command()
def vendors(as_json: JsonOpt = False, debug: DebugOpt = False) -> None:
    """List vendors, platform versions and capabilities."""
    data = _run(api.vendors, as_json=as_json, debug=debug)
    if as_json:
        print_json({"vendors": data})
        return
    print_table(
        ["id", "name", "versions (default)", "capabilities"],
        [
            [
                v["id"],
                v["name"],
                ", ".join(v["versions"]) + f" ({v['default_version']})",
                ", ".join(v["capabilities"]),
            ]
            for v in data
        ],
    )


@app.command("import")
def import_(
    inventory: InventoryArg,
    responses: Annotated[
        list[str],
        typer.Argument(
            help="Saved API responses (JSON files), or - for stdin.", show_default=False
        ),
    ],
    adopt: Annotated[
        bool, typer.Option("--adopt", help="Take Cloudflare's interface_address when it differs.")
    ] = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Merge saved Cloudflare API responses into the lock (PSKs into the secrets store)."""

    def read_all() -> list[tuple[str, bytes]]:
        out = []
        for name in responses:
            if name == "-":
                # bounded like a file: more than the limit is NG107, never a MemoryError
                out.append(("<stdin>", sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)))
            else:
                out.append((name, read_bytes(Path(name))))
        return out

    result = _run(
        lambda: api.import_responses(inventory, read_all(), adopt=adopt, notify=_notify),
        as_json=as_json,
        debug=debug,
    )
    if as_json:
        print_json(result.to_json())
    else:
        for change in result.changes:
            write_lines(change + "\n")
        if not result.changes:
            write_lines("nothing to change\n")
    print_diagnostics(result.diagnostics)


secrets_app = typer.Typer(
    help="PSKs: list fingerprints, set from stdin, generate. Values are never printed.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(secrets_app, name="secrets")


@secrets_app.command("list")
def secrets_list(
    inventory: InventoryArg, as_json: JsonOpt = False, debug: DebugOpt = False
) -> None:
    """Tunnel, source, fingerprint and age of every PSK (never the value)."""
    listing = _run(lambda: api.secrets_list(inventory), as_json=as_json, debug=debug)
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


@secrets_app.command("set")
def secrets_set(
    inventory: InventoryArg,
    tunnel: Annotated[str, typer.Argument(help="The IPsec tunnel.", show_default=False)],
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Store a PSK for TUNNEL, read from stdin (never from the command line)."""
    change, diags = _run(
        lambda: api.secrets_set(inventory, tunnel, _read_psk_from_stdin(), notify=_notify),
        as_json=as_json,
        debug=debug,
    )
    if as_json:
        print_json({"changes": [change], "diagnostics": [d.to_json() for d in diags]})
    else:
        write_lines(change + "\n")
    print_diagnostics(diags)


@secrets_app.command("generate")
def secrets_generate(
    inventory: InventoryArg,
    tunnels: Annotated[
        list[str] | None,
        typer.Argument(help="Tunnels (default: every IPsec tunnel without a PSK)."),
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
    """Generate strong random PSKs for Cloudflare's "use my own pre-shared key" flow."""
    result = _run(
        lambda: api.secrets_generate(inventory, tunnels or [], notify=_notify),
        as_json=as_json,
        debug=debug,
    )
    requests: list[dict[str, Any]] = []
    if show_request_body:
        session = _run(lambda: api.open_session(inventory), as_json=as_json, debug=debug)
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


@app.command()
def lint(
    configs: Annotated[
        list[Path], typer.Argument(help="Router config files (one device).", show_default=False)
    ],
    vendor: Annotated[str, typer.Option("--vendor", help="Vendor id (netgen vendors).")],
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", help="Cross-check endpoints, identities and /31s."),
    ] = None,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check router configs against Cloudflare's tunnel rules (exit 1 on errors)."""
    result = _run(
        lambda: api.lint_configs(list(configs), vendor, inventory), as_json=as_json, debug=debug
    )
    if as_json:
        print_json(result.to_json())
    err = stderr()
    for finding in result.findings:
        err.print(safe_text(finding.format()), markup=False)
    if not as_json:
        write_lines(
            f"{len(result.errors)} error(s), {len(result.warnings)} warning(s) in "
            f"{len(configs)} file(s)\n"
        )
    raise typer.Exit(result.exit_code)


def main() -> None:
    """Console-script entry point."""
    app()
