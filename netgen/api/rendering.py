"""`render`: every selected device's files streamed into the output tree, and `--check`."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from netgen.api.memo import (
    Memo,
    diagnostics_from_json,
    diagnostics_to_json,
    memo_for,
)
from netgen.api.render_run import (
    RenderJob,
    RenderResult,
    render_files,
    render_job,
)
from netgen.api.session import (
    Session,
    check_state_files,
    open_session,
    write_lock_file,
)
from netgen.api.state import resolve_secrets
from netgen.core.documents import digest_bytes
from netgen.core.errors import Severity, UserError, sort_diagnostics
from netgen.core.files import (
    Notify,
    inventory_home,
    writer_lock,
)
from netgen.core.git import exposure
from netgen.core.progress import Progress
from netgen.render.environment import RenderedFile
from netgen.render.incremental import (
    device_key,
    device_of,
    previous_render,
)
from netgen.render.output import (
    diff_tree,
    diff_tree_streaming,
    manifest_file,
    scan_intact,
    write_tree,
)
from netgen.render.output_dir import (
    MANIFEST,
    owned_files,
    prepare_output,
    read_nofollow,
    read_owned,
)

__all__ = ["RenderJob", "RenderResult", "render", "render_files", "render_job"]


def render(
    inventory: str | Path,
    out_dir: str | Path | None,
    *,
    check: bool = False,
    sites: Iterable[str] = (),
    devices: Iterable[str] = (),
    reveal_secrets: bool = False,
    allow_placeholders: bool = False,
    psks: dict[str, str] | None = None,
    force: bool = False,
    notify: Notify | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    cache: bool | None = None,
) -> RenderResult:
    """Render to ``out_dir`` (atomically), or compare with it when ``check``; ``out_dir=None``
    renders in memory only (the CLI's ``-o -``).

    A run whose inventory files, lock and options are those of a remembered run, on an output
    directory still exactly as that run left it, returns that run's result without loading the
    inventory (:mod:`netgen.api.memo`; ``cache=False`` or ``NETGEN_NO_CACHE`` turn it off).

    Real PSKs are used only with ``reveal_secrets`` (from ``psks``, or else from the inventory's
    references and the secrets store); files holding them are written 0600 and marked secret
    in MANIFEST.json.

    Writing to a directory holds the inventory's writer lock throughout; new allocations are
    written to the lock once the output is staged and before it is swapped in, so output never
    lands without its lock (``check`` takes no lock; it only repairs an interrupted swap). An
    output directory holding anything netgen did not write (MANIFEST.json lists what it wrote)
    is refused unless ``force``. ``notify`` hears about waiting for the writer lock and about
    repairs of an interrupted earlier render.
    """
    options: dict[str, Any] = {
        "sites": sites,
        "devices": devices,
        "reveal_secrets": reveal_secrets,
        "allow_placeholders": allow_placeholders,
        "progress": progress,
        "jobs": jobs,
        "cache": cache,
    }
    target = None if out_dir is None else Path(out_dir)
    if reveal_secrets and target is not None and not check and not force:
        found = exposure(target)
        if found is not None:
            raise UserError.single(
                "NG905", found.message, file=str(found.directory), hint=found.hint
            )
    if target is None or check:  # reads only (works in a read-only checkout)
        check_state_files(Path(inventory), clean=False)
        return _render(inventory, target, psks, options, check=check, force=force, notify=notify)
    with writer_lock(inventory_home(Path(inventory)), notify=notify):
        check_state_files(Path(inventory))
        return _render(inventory, target, psks, options, check=False, force=force, notify=notify)


def _render(
    inventory: str | Path,
    target: Path | None,
    psks: dict[str, str] | None,
    options: dict[str, Any],
    *,
    check: bool,
    force: bool,
    notify: Notify | None,
) -> RenderResult:
    memo = _render_memo(Path(inventory), target, options, psks)
    if memo is not None and (hit := _recall_render(memo, target, check, notify)) is not None:
        return hit
    known = memo.contents() if memo is not None else {}
    result = _render_fresh(
        inventory, target, psks, options, check=check, force=force, notify=notify, known=known
    )
    if memo is not None and not result.drift:
        manifest = next((e["sha256"] for e in result.entries if e["path"] == MANIFEST), None)
        if check:
            manifest = digest_bytes(read_nofollow(Path(result.out_dir or ".") / MANIFEST))
        value = {"manifest": manifest, "diagnostics": diagnostics_to_json(result.diagnostics)}
        memo.remember(value, after_write=not check)
    return result


def _render_memo(
    inventory: Path, target: Path | None, options: dict[str, Any], psks: dict[str, str] | None
) -> Memo | None:
    """The memo of a whole-tree render into ``target`` (none for a selection, in-memory
    output or revealed PSKs: those depend on more than the inventory's files)."""
    if target is None or options["sites"] or options["devices"]:
        return None
    if options["reveal_secrets"] or psks is not None:
        return None
    name = str(target.resolve())
    wanted = {"allow_placeholders": options["allow_placeholders"]}
    memo = memo_for(inventory, "render", name, wanted, options["cache"])
    return memo if memo.cache.root is not None else None


def _recall_render(
    memo: Memo, target: Path | None, check: bool, notify: Notify | None
) -> RenderResult | None:
    """The remembered result, if the output directory is exactly what that run left."""
    value = memo.recall()
    if target is None or not isinstance(value, dict):
        return None
    diags = diagnostics_from_json(value.get("diagnostics"))
    if diags is None:
        return None
    real = prepare_output(target, notify)  # repairs an interrupted swap, as a full run does
    manifest = value.get("manifest")
    entries = scan_intact(real, manifest) if isinstance(manifest, str) else None
    if entries is None:
        return None
    if check:
        return RenderResult([], target, False, [], diags, False, [], len(entries) - 1)
    return RenderResult([], target, True, [], diags, False, entries)


def _render_fresh(
    inventory: str | Path,
    target: Path | None,
    psks: dict[str, str] | None,
    options: dict[str, Any],
    *,
    check: bool,
    force: bool,
    notify: Notify | None,
    known: dict[Path, bytes] | None = None,
) -> RenderResult:
    session = open_session(inventory, cache=options["cache"], jobs=options["jobs"], known=known)
    options = {k: v for k, v in options.items() if k != "cache"}
    if options["reveal_secrets"] and psks is None:
        psks, secret_diags = resolve_secrets(session)
        if any(d.severity is Severity.ERROR for d in secret_diags):
            raise UserError(sort_diagnostics(secret_diags))
        session.diagnostics = sort_diagnostics(session.diagnostics + secret_diags)
    options = {**options, "psks": psks}
    write_lock = functools.partial(_write_lock_if_changed, session)
    lock_written = session.allocation.changed
    filtered = bool(options["sites"] or options["devices"])
    if target is not None and not check and not filtered:
        # the common case streams: one device in memory at a time; devices whose inputs did
        # not change since the previous render are read back instead of rendered
        job = render_job(session, **options, previous_output=prepare_output(target, notify))
        entries = write_tree(
            target,
            job.files(),
            manifest_header=job.manifest_header,
            force=force,
            before_swap=write_lock,
            notify=notify,
        )
        return RenderResult([], target, True, [], session.diagnostics, lock_written, entries)
    if target is not None and check and not filtered:
        # streamed too: unchanged devices are read back and compared, never held all at once
        real = prepare_output(target, notify)
        owned_files(real, force=True)
        job = render_job(session, **options, previous_output=real)
        drift = diff_tree_streaming(real, job.files(), job.manifest_header)
        return RenderResult([], target, False, drift, session.diagnostics, False, [], job.count)
    files = render_files(session, **options)
    if target is None:
        return RenderResult(files, None, False, diagnostics=session.diagnostics)
    real = prepare_output(target, notify)
    if filtered:
        files = _keep_unselected(real, files, force=force, check=check)
    if check:
        return RenderResult(files, target, False, diff_tree(real, files), session.diagnostics)
    write_tree(real, files, force=force, before_swap=write_lock, notify=notify)
    return RenderResult(files, target, True, [], session.diagnostics, lock_written)


def _write_lock_if_changed(session: Session) -> bool:
    """Record new allocations so configs and lock agree (before the output is swapped in)."""
    if session.allocation.changed:
        write_lock_file(session)
        return True
    return False


def _keep_unselected(
    target: Path, files: list[RenderedFile], *, force: bool, check: bool
) -> list[RenderedFile]:
    """With --site/--device, the other devices' files netgen wrote in ``target`` (those
    MANIFEST.json lists) stay as they are, with their secret marks and executable bits;
    symlinks are never followed. MANIFEST.json is rebuilt over the merged set, so it is the
    same as after a full render of the same inputs (a later full --check finds no drift)."""
    if check and not (target / MANIFEST).is_file():
        return files
    owned = owned_files(target, force=force or check)
    new = {f.path: f for f in files if f.path != MANIFEST}
    kept = read_owned(target, owned, lambda path: path not in new and path.startswith("sites/"))
    new.update((f.path, f) for f in kept)
    header = json.loads(next(f.content for f in files if f.path == MANIFEST))
    header.pop("files", None)
    # the input digests of the devices kept as they are come from the previous MANIFEST.json
    kept_devices = {device_key(*found) for f in kept if (found := device_of(f.path))}
    old = previous_render(target).digests
    header["devices"] = {
        **{k: v for k, v in old.items() if k in kept_devices},
        **header.get("devices", {}),
    }
    merged = sorted(new.values(), key=lambda f: f.path)
    return [*merged, manifest_file(merged, header)]
