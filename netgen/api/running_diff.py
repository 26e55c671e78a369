"""`diff --running`: the intended config of a device against a saved running config, and the
files `diff -o DIR` writes for change tickets."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from netgen.api.diffing import PAYLOAD_KINDS, WORKTREE, DiffResult, device_files
from netgen.api.rendering import render_files
from netgen.api.session import open_session
from netgen.core.errors import Diagnostic, Position, UserError
from netgen.core.files import replace_file
from netgen.remediate import remediate_running, supports_running


def diff_running(inventory: str | Path, running: dict[str, Path]) -> DiffResult:
    """Compare the intended config of each DEVICE with a saved running config (``show
    running-config``, ``show configuration | display set``, ``show configuration commands``):
    the remediation touches only what netgen manages, the rest of the running config never."""
    session = open_session(inventory)
    devices = _check_devices(session, running)
    files = render_files(session, devices=list(running), allow_placeholders=True)
    rendered = device_files({f.path: f.content for f in files})
    out = []
    for name, file in sorted(running.items()):
        site, device = devices[name]
        profile = session.registry.vendors[device.vendor]
        if not supports_running(profile):
            raise UserError.single(
                "NG806",
                f"--running is not available for {profile.display_name}",
                file=str(file),
                hint="compare two revisions instead (netgen diff INVENTORY --from REV)",
            )
        intended = rendered.get((site, name), {})
        fix = remediate_running(profile, file.read_text(errors="replace"), intended)
        if fix.empty:
            continue
        out.append(
            {
                "site": site,
                "device": name,
                "vendor": profile.id,
                "status": "changed",
                "reasons": [f"differs from the running config in {file.name}"],
                "diff": "".join(
                    difflib.unified_diff(
                        [line + "\n" for line in fix.current],
                        [line + "\n" for line in fix.intended],
                        f"{name} (running, managed part)",
                        f"{name} (intended)",
                    )
                ),
                "remediation": fix.remediation,
                "rollback": fix.rollback,
                "extension": fix.extension,
            }
        )
    empty: dict[str, dict[str, list[dict[str, Any]]]] = {
        a: {k: [] for k in PAYLOAD_KINDS} for a in ("create", "update", "delete")
    }
    return DiffResult(
        "running",
        WORKTREE,
        {"added": [], "removed": [], "changed": []},
        out,
        empty,
        session.warnings,
    )


def write_device_files(result: DiffResult, directory: Path) -> list[Path]:
    """``<device>.diff``, ``<device>.remediation.<ext>`` and ``<device>.rollback.<ext>`` of
    every changed device, for change tickets and the handoff packet."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for d in result.devices:
        ext = d.get("extension", "txt")
        for name, text in (
            (f"{d['device']}.diff", d["diff"]),
            (f"{d['device']}.remediation.{ext}", _text(d["remediation"])),
            (f"{d['device']}.rollback.{ext}", _text(d["rollback"])),
        ):
            path = directory / name
            replace_file(path, text.encode(), mode=0o644, what="diff output")
            written.append(path)
    return written


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _check_devices(session: Any, running: dict[str, Path]) -> dict[str, tuple[str, Any]]:
    """Device name -> (site, device); every unknown device or missing file at once."""
    devices = {d.name: (s.name, d) for s in session.loaded.inventory.sites for d in s.devices}
    problems = []
    for name, file in running.items():
        if name not in devices:
            problems.append(
                Diagnostic(
                    "NG804",
                    f"no device {name!r} in the inventory",
                    position=Position(str(file)),
                    hint="give --running DEVICE=FILE with a device name from the inventory",
                )
            )
        elif not file.is_file():
            problems.append(
                Diagnostic("NG805", "running config file not found", position=Position(str(file)))
            )
    if problems:
        raise UserError(problems)
    return devices
