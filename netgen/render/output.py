"""Writing results: atomic files, output directories, MANIFEST.json, drift checks.

Only this module and the ones it delegates to (:mod:`netgen.render.output_patch`,
:mod:`netgen.render.journal`) write to disk. A failed run leaves the previous output untouched.

An output directory netgen wrote before (MANIFEST.json, nothing foreign) is **updated in
place**: only new and changed files are written, under a journal that a killed run's successor
finishes (:mod:`netgen.render.journal`). Any other target (missing, empty, or replaced with
``--force``) is written whole to a sibling staging directory and swapped in with two renames.

Crash safety of the swap: the staging directory and the previous output parked during the
swap are named ``.<out>.new-<pid>-<token>`` and ``.<out>.old-<pid>-<token>``. If a render is
killed between the two renames, the next render of that directory finds ``<out>`` missing and
the pair left by a dead pid: it puts the (complete) new output in place, or the old one back
when the new is not there, and says so; leftovers of dead processes are removed.

Ownership: MANIFEST.json lists every file netgen wrote. A directory holding anything else
(a file not listed, a directory netgen did not make, any symlink) is refused with NG901 unless
``force``; symlinks inside the tree are never followed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from netgen.core.errors import UserError
from netgen.core.files import Notify, crash_point, fsync_dir, tagged_name
from netgen.render.environment import RenderedFile
from netgen.render.output_dir import MANIFEST, Owned, owned_files, prepare_output, read_nofollow
from netgen.render.output_patch import file_mode, manifest_entry, patch_tree, patchable


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename (mode set before rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def json_bytes(data: Any) -> bytes:
    """Stable JSON: sorted keys, two-space indent, LF, final newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def json_lines_array(items: list[Any]) -> bytes:
    """A JSON array with one object per line: stable, diff-friendly, and written by the C
    encoder (an indented dump of a fleet's payloads takes seconds)."""
    if not items:
        return b"[]\n"
    dump = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": ")).encode
    return ("[\n" + ",\n".join("  " + dump(item) for item in items) + "\n]\n").encode()


def manifest_file(files: list[RenderedFile], header: dict[str, Any]) -> RenderedFile:
    """MANIFEST.json listing every file with its sha256 (and whether it holds secrets)."""
    return _manifest(header, [manifest_entry(f) for f in files])


# -- writing -------------------------------------------------------------------------------------


def write_tree(
    out_dir: Path,
    files: Iterable[RenderedFile],
    *,
    manifest_header: dict[str, Any] | None = None,
    force: bool = False,
    before_swap: Callable[[], object] | None = None,
    notify: Notify | None = None,
) -> list[dict[str, Any]]:
    """Make ``out_dir`` hold exactly ``files``: netgen's previous output is updated in place
    (only what changed is written), anything else is staged whole and swapped in.

    ``files`` may be a generator: each file is written as it comes and only its digest is
    kept. With ``manifest_header``, MANIFEST.json is built from what was written. If the
    iterable raises (e.g. the errors of a render), the staging directory is removed and the
    previous output stays untouched. ``before_swap`` runs once everything is staged and
    before the output changes (the lock is written there, so new output never lands without
    its lock); if it raises, nothing is swapped. Returns the MANIFEST entries written.
    """
    out_dir = prepare_output(Path(out_dir), notify)
    owned = owned_files(out_dir, force=force)
    if patchable(owned):
        return _patch(out_dir, files, owned, manifest_header, before_swap)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = out_dir.parent / tagged_name(out_dir.name, "new")
        staging.mkdir(mode=0o700)
    except OSError as exc:
        raise UserError.single(
            "NG901", f"cannot create output directory: {exc.strerror}", file=out_dir
        ) from None
    try:
        entries = _write_files(staging, files)
        if manifest_header is not None:
            entries += _write_files(staging, [_manifest(manifest_header, entries)])
        os.chmod(staging, 0o755)
        crash_point("output:staged")
        if before_swap is not None:
            before_swap()
        crash_point("output:before-swap")
        _swap(staging, out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError.single(
            "NG901", f"cannot write output: {exc.strerror}", file=out_dir
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(entries, key=lambda e: e["path"])


def _manifest(header: dict[str, Any], entries: list[dict[str, Any]]) -> RenderedFile:
    """MANIFEST.json from the entries of the files written, sorted by path."""
    body = {**header, "files": sorted(entries, key=lambda e: e["path"])}
    return RenderedFile(MANIFEST, json_bytes(body))


def _patch(
    out_dir: Path,
    files: Iterable[RenderedFile],
    owned: Owned,
    header: dict[str, Any] | None,
    before_swap: Callable[[], object] | None,
) -> list[dict[str, Any]]:
    """Update netgen's own output directory in place (:mod:`netgen.render.output_patch`)."""
    build = None if header is None else functools.partial(_manifest, header)
    try:
        return patch_tree(out_dir, files, owned, manifest=build, before_swap=before_swap)
    except OSError as exc:
        raise UserError.single(
            "NG901",
            f"cannot write output: {exc.strerror}",
            file=out_dir,
            hint="fix the cause and render again: an update cut short is finished first",
        ) from None


def _write_files(root: Path, files: Iterable[RenderedFile]) -> list[dict[str, Any]]:
    made: set[Path] = set()
    entries: list[dict[str, Any]] = []
    for f in files:
        target = root / f.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        if not (f.source is not None and _linked(f.source, target)):
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, file_mode(f))
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), file_mode(f))  # whatever the umask
                fh.write(f.content)
        entries.append(manifest_entry(f))
    return entries


def _linked(source: Path, target: Path) -> bool:
    """Hard-link an unchanged file of the previous output into the staging tree (same
    filesystem: both sit in the output's parent directory); False to write it instead."""
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        return False
    return True


def _swap(staging: Path, out_dir: Path) -> None:
    """Two renames; a kill between them is repaired by :func:`recover_output`."""
    if not os.path.lexists(out_dir):
        os.rename(staging, out_dir)
        fsync_dir(out_dir.parent)
        return
    old = staging.with_name(staging.name.replace(".new-", ".old-", 1))
    os.rename(out_dir, old)
    crash_point("output:mid-swap")
    try:
        os.rename(staging, out_dir)
    except OSError:
        os.rename(old, out_dir)  # put the previous output back
        raise
    fsync_dir(out_dir.parent)
    crash_point("output:swapped")
    shutil.rmtree(old, ignore_errors=True)


# -- reading back --------------------------------------------------------------------------------


def read_tree(out_dir: Path) -> dict[str, bytes]:
    """Every regular file under ``out_dir`` by relative path; symlinks are not followed
    (neither to files nor into directories) and not listed."""
    return {path: read_nofollow(out_dir / path) for path in _scan(out_dir)[0]}


def _scan(out_dir: Path) -> tuple[list[str], list[str]]:
    """(regular files, every other non-directory entry) under ``out_dir``, by relative path.
    Symlinks count as other entries and are never followed."""
    regular: list[str] = []
    other: list[str] = []
    if out_dir.is_symlink() or not out_dir.is_dir():
        return regular, other
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        with os.scandir(out_dir / rel_dir) as it:
            for entry in it:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append(rel)
                elif entry.is_file(follow_symlinks=False):
                    regular.append(rel)
                else:
                    other.append(rel)
    return sorted(regular), sorted(other)


def diff_tree(out_dir: Path, files: Iterable[RenderedFile]) -> list[tuple[str, str]]:
    """(path, "changed" | "missing" | "extra") for every difference, sorted. A symlink (or any
    other non-regular entry) is a difference; it is never followed."""
    regular, other = _scan(out_dir)
    existing = {path: read_nofollow(out_dir / path) for path in regular}
    odd = set(other)
    wanted = {f.path: f.content for f in files}
    out: list[tuple[str, str]] = []
    for path in sorted(set(existing) | set(wanted) | odd):
        if path in odd:
            out.append((path, "changed" if path in wanted else "extra"))
        elif path not in existing:
            out.append((path, "missing"))
        elif path not in wanted:
            out.append((path, "extra"))
        elif existing[path] != wanted[path]:
            out.append((path, "changed"))
    return out


def _compare(
    out_dir: Path, path: str, content: bytes, regular: set[str], odd: set[str]
) -> tuple[str, str] | None:
    if path in odd:
        return (path, "changed")
    if path not in regular:
        return (path, "missing")
    return (path, "changed") if read_nofollow(out_dir / path) != content else None


def diff_tree_streaming(
    out_dir: Path, files: Iterable[RenderedFile], manifest_header: dict[str, Any]
) -> list[tuple[str, str]]:
    """:func:`diff_tree` for a stream of files (one device in memory at a time), MANIFEST.json
    built from them and ``manifest_header`` (read after the stream ends) compared last."""
    regular, other = _scan(out_dir)
    on_disk, odd = set(regular), set(other)
    seen: set[str] = set()
    entries: list[dict[str, Any]] = []
    out: list[tuple[str, str]] = []
    for f in files:
        seen.add(f.path)
        entries.append(manifest_entry(f))
        if (found := _compare(out_dir, f.path, f.content, on_disk, odd)) is not None:
            out.append(found)
    body = {**manifest_header, "files": sorted(entries, key=lambda e: e["path"])}
    seen.add(MANIFEST)
    if (found := _compare(out_dir, MANIFEST, json_bytes(body), on_disk, odd)) is not None:
        out.append(found)
    out += [(path, "extra") for path in (on_disk | odd) - seen]
    return sorted(out)


def scan_intact(out_dir: Path, manifest_sha256: str) -> list[dict[str, Any]] | None:
    """The entries of ``out_dir`` (MANIFEST.json's, and its own) if its MANIFEST.json has the
    SHA-256 ``manifest_sha256`` and the directory holds exactly the files it lists, each with
    its listed SHA-256 and nothing else (no symlink, no extra file); else None. Every file is
    read: a hand edit is found by its content, as :func:`diff_tree_streaming` finds it."""
    try:
        manifest = read_nofollow(out_dir / MANIFEST)
        if hashlib.sha256(manifest).hexdigest() != manifest_sha256:
            return None
        entries = json.loads(manifest)["files"]
        regular, other = _scan(out_dir)
        wanted = {str(e["path"]): e["sha256"] for e in entries}
        if other or regular != sorted([*wanted, MANIFEST]):
            return None
        for path, digest in wanted.items():
            if hashlib.sha256(read_nofollow(out_dir / path)).hexdigest() != digest:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    own = {"path": MANIFEST, "sha256": manifest_sha256, "size": len(manifest), "secret": False}
    return sorted([*entries, own], key=lambda e: str(e["path"]))
