"""`netgen diff`: what changes between two revisions of the inventory, two output directories,
or the intended and a saved running config; with remediation and rollback per device."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from netgen import api
from netgen.cli.common import DebugOpt, JsonOpt, VerboseOpt, inventory_path, run
from netgen.cli.console import print_json, progress_bar, stderr, stdout
from netgen.core.errors import UsageError, safe_text

PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="INVENTORY (a file or an inventory directory; compared across git revisions, or "
        "with --running; default: "
        "$NETGEN_INVENTORY, else ./inventory.yaml), or OLD_DIR NEW_DIR (two render output "
        "directories).",
        show_default=False,
        metavar="[INVENTORY | OLD_DIR NEW_DIR]",
    ),
]
FromOpt = Annotated[
    str, typer.Option("--from", help="Git revision of the old side.", metavar="REV")
]
ToOpt = Annotated[
    str | None,
    typer.Option("--to", help="Git revision of the new side (default: files).", metavar="REV"),
]
RunningOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--running",
        help="Compare DEVICE's intended config with a saved running config (repeatable).",
        metavar="DEVICE=FILE",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Also write <device>.diff, .remediation.<ext> and .rollback.<ext> here.",
        metavar="DIR",
    ),
]
ExitCodeOpt = Annotated[
    bool, typer.Option("--exit-code", help="Exit 3 when anything differs (for CI gates).")
]


def diff(
    paths: PathsArg = None,
    old: FromOpt = "HEAD",
    new: ToOpt = None,
    running: RunningOpt = None,
    out_dir: OutOpt = None,
    exit_code: ExitCodeOpt = False,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Tunnels added/removed/changed, each changed device's config diff with the commands to
    get there (remediation) and back (rollback), and the Cloudflare API bodies to create,
    update and delete. PSKs are never shown: a rotated PSK shows as a new fingerprint.

    Example: netgen diff inventory.yaml --from v1.2 -o change-1234/
    """

    paths = paths or [inventory_path(None, as_json=as_json)]

    def compute() -> Any:
        if running:
            if len(paths) != 1:
                raise UsageError.single("NG807", "--running takes one INVENTORY")
            return api.diff_running(paths[0], _running_pairs(running))
        if len(paths) == 2:
            return api.diff_directories(*paths)
        if len(paths) == 1:
            return api.diff_revisions(paths[0], old, new, progress)
        raise UsageError.single("NG807", "give INVENTORY, or OLD_DIR NEW_DIR")

    with progress_bar("rendering both sides", enabled=not as_json) as progress:
        result = run(compute, as_json=as_json, debug=debug, verbose=verbose)
    if out_dir is not None:
        run(
            lambda: api.write_device_files(result, out_dir),
            as_json=as_json,
            debug=debug,
            verbose=verbose,
        )
    if as_json:
        print_json(result.to_json())
    else:
        _print(result)
    stderr().print(
        f"{result.old} → {result.new}: "
        + (f"{len(result.devices)} device(s) change" if result.changed else "no changes")
        + (f"; files in {out_dir}" if out_dir is not None and result.devices else ""),
        markup=False,
    )
    raise typer.Exit(3 if exit_code and result.changed else 0)


def _running_pairs(values: list[str]) -> dict[str, Path]:
    pairs = {}
    for value in values:
        device, sep, file = value.partition("=")
        if not sep or not device or not file:
            raise UsageError.single(
                "NG807",
                f"--running {value!r} is not DEVICE=FILE",
                hint="e.g. --running nyc01-edge1=show-run.txt",
            )
        pairs[device] = Path(file)
    return pairs


def _line(text: str, style: str = "") -> None:
    stdout().print(Text(safe_text(text), style=style))


def _print(result: Any) -> None:
    t = result.tunnels
    for name in t["added"]:
        _line(f"+ tunnel {name}", "green")
    for name in t["removed"]:
        _line(f"- tunnel {name}", "red")
    for change in t["changed"]:
        fields = ", ".join(f"{k} {v[0]} → {v[1]}" for k, v in change["fields"].items())
        _line(f"~ tunnel {change['name']}: {fields}", "yellow")
    for d in result.devices:
        _line(f"{d['status']}: {d['site']}/{d['device']} ({'; '.join(d['reasons'])})", "bold")
    for action, parts in result.cloudflare.items():
        for kind, bodies in parts.items():
            for body in bodies:
                _line(f"cloudflare {action} {kind}: {json.dumps(body, sort_keys=True)}", "cyan")
    for d in result.devices:
        _line("")
        _line(f"=== {d['site']}/{d['device']} ({d['vendor']}): {d['status']}", "bold")
        for line in d["diff"].splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
            _line(line, "bold" if line.startswith(("+++", "---")) else style)
        for title, lines in (("remediation", d["remediation"]), ("rollback", d["rollback"])):
            _line(f"--- {title} ({len(lines)} lines, paste in this order) ---", "bold")
            for line in lines:
                _line(line)
