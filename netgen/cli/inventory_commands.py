"""Commands on the inventory: validate, plan, render, vendors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from netgen import api
from netgen.api.parallel import available_cpus
from netgen.cli.common import (
    DebugOpt,
    JsonOpt,
    MaybeInventoryArg,
    NoCacheOpt,
    VerboseOpt,
    fail,
    inventory_path,
    notify,
    run,
)
from netgen.cli.console import (
    print_diagnostics,
    print_json,
    print_table,
    progress_bar,
    stderr,
    summary_line,
    write_lines,
)
from netgen.core.errors import Diagnostic

JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        help="Worker processes (default: the CPUs available); output is identical with 1.",
        metavar="N",
        min=1,
    ),
]


def validate(
    inventory: MaybeInventoryArg = None,
    jobs: JobsOpt = None,
    no_cache: NoCacheOpt = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Check the inventory against the schema and Cloudflare's rules; report every problem.

    Example: netgen validate inventory.yaml
    """
    path = inventory_path(inventory, as_json=as_json)
    result = run(
        lambda: api.validate(path, cache=_cache(no_cache), jobs=jobs or available_cpus()),
        as_json=as_json,
        debug=debug,
        verbose=verbose,
    )
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
    print_diagnostics(result.diagnostics, verbose=verbose)
    stderr().print(f"validated {path}: {summary_line(result.diagnostics)}", markup=False)


WriteLockOpt = Annotated[bool, typer.Option("--write-lock", help="Write netgen.lock.yaml.")]
PruneOpt = Annotated[bool, typer.Option("--prune", help="Release orphaned tunnels.")]
PendingExitOpt = Annotated[
    bool,
    typer.Option(
        "--exit-code",
        help="Exit 3 when changes are pending (new or changed allocations, orphans, tunnels "
        "not yet at Cloudflare).",
    ),
]


def plan(
    inventory: MaybeInventoryArg = None,
    write_lock: WriteLockOpt = False,
    prune: PruneOpt = False,
    exit_code: PendingExitOpt = False,
    no_cache: NoCacheOpt = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Show tunnel names, /31s, statuses and the Cloudflare API payloads (exit 0; with
    --exit-code, 3 when changes are pending).

    Example: netgen plan inventory.yaml --write-lock
    """
    inventory = inventory_path(inventory, as_json=as_json)
    result = run(
        lambda: api.plan(
            inventory,
            write_lock=write_lock,
            prune=prune,
            notify=notify,
            cache=_cache(no_cache),
        ),
        as_json=as_json,
        debug=debug,
        verbose=verbose,
    )
    if as_json:
        print_json(result.to_json())
    else:
        _print_plan(result)
    print_diagnostics(result.diagnostics, verbose=verbose)
    err = stderr()
    if result.lock_written:
        err.print(f"lock written: {result.lock_path}", markup=False)
    elif result.lock_changed:
        err.print("lock not written (use --write-lock to record these allocations)", markup=False)
    pending = result.pending()
    err.print(
        f"{len(result.tunnels)} tunnel(s); "
        + (", ".join(f"{n} {what}" for what, n in pending.items()) or "nothing pending"),
        markup=False,
    )
    if exit_code and pending:
        raise typer.Exit(3)


def _print_plan(result: Any) -> None:
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


OutputOpt = Annotated[
    str,
    typer.Option(
        "-o", "--output", help="Output directory, or - for stdout (one device).", metavar="DIR"
    ),
]
CheckOpt = Annotated[
    bool,
    typer.Option("--check", help="Compare with DIR instead of writing; exit 3 if it differs."),
]
SiteOpt = Annotated[
    list[str] | None, typer.Option("--site", help="Only this site (repeatable).", metavar="SITE")
]
DeviceOpt = Annotated[
    list[str] | None,
    typer.Option("--device", help="Only this device (repeatable).", metavar="DEVICE"),
]
RevealOpt = Annotated[
    bool, typer.Option("--reveal-secrets", help="Write real PSKs (files become 0600).")
]
PlaceholdersOpt = Annotated[
    bool,
    typer.Option("--allow-placeholders", help="Render even when API identities are missing."),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace DIR even though it holds files netgen did not write (they are lost), "
        "or write revealed PSKs into a directory git would track.",
    ),
]


def render(
    output: OutputOpt,
    inventory: MaybeInventoryArg = None,
    check: CheckOpt = False,
    site: SiteOpt = None,
    device: DeviceOpt = None,
    reveal_secrets: RevealOpt = False,
    allow_placeholders: PlaceholdersOpt = False,
    force: ForceOpt = False,
    jobs: JobsOpt = None,
    no_cache: NoCacheOpt = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Render router configs and Cloudflare API payloads.

    Example: netgen render inventory.yaml -o out/
    """
    inventory = inventory_path(inventory, as_json=as_json)
    to_stdout = output == "-"
    if to_stdout and check:
        raise typer.BadParameter("--check needs a directory", param_hint="-o")
    with progress_bar("rendering devices", enabled=not as_json) as progress:
        result = run(
            lambda: api.render(
                inventory,
                None if to_stdout else Path(output),
                check=check,
                sites=site or (),
                devices=device or (),
                reveal_secrets=reveal_secrets,
                allow_placeholders=allow_placeholders,
                force=force,
                notify=notify,
                progress=progress,
                jobs=jobs or available_cpus(),
                cache=_cache(no_cache),
            ),
            as_json=as_json,
            debug=debug,
            verbose=verbose,
        )
    _report_render(result, output, check=check, as_json=as_json, verbose=verbose)


def _report_render(result: Any, output: str, *, check: bool, as_json: bool, verbose: bool) -> None:
    print_diagnostics(result.diagnostics, verbose=verbose)
    if output == "-":
        _print_device(result.files, as_json)
        return
    if as_json:
        print_json(result.to_json())
    elif check:
        for path, change in result.drift:
            write_lines(f"{change}: {path}\n")
    if not as_json and check and not result.drift:
        compared = result.checked or len(result.files)
        stderr().print(f"no drift in {compared} files", markup=False)
    elif not as_json and not check:
        stderr().print(f"wrote {len(result.manifest())} files to {result.out_dir}", markup=False)
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
        fail(
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


def vendors(as_json: JsonOpt = False, debug: DebugOpt = False) -> None:
    """List vendors, platform versions and capabilities."""
    data = run(api.vendors, as_json=as_json, debug=debug)
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


def _cache(no_cache: bool) -> bool | None:
    """``--no-cache`` turns the cache off; otherwise the library decides (NETGEN_NO_CACHE)."""
    return False if no_cache else None
