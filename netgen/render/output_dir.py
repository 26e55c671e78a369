"""The output directory before a render: where it is (symlinks), what is in it (only what
its MANIFEST.json lists, unless --force), and what happened to it (an interrupted swap is
finished or rolled back)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netgen.core.errors import UserError
from netgen.core.files import Leftover, Notify, leftovers
from netgen.render.environment import RenderedFile
from netgen.render.journal import apply_journal, read_journal

MANIFEST = "MANIFEST.json"
SHOWN_FOREIGN = 10  # foreign paths listed in an NG901 message


def prepare_output(out_dir: Path, notify: Notify | None = None) -> Path:
    """The real output directory for ``-o out_dir``, after repairing an interrupted render.

    A symlinked ``out_dir`` is followed (the link stays), but one that leads nowhere is
    refused: netgen would otherwise create whatever path the link names.
    """
    try:
        target = out_dir.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise UserError.single("NG901", "the output path is a symlink loop", file=out_dir) from None
    for message in recover_output(target):
        if notify is not None:
            notify(message)
    if out_dir.is_symlink() and not target.exists():
        raise UserError.single(
            "NG901",
            f"the output path is a symlink to a missing path ({os.readlink(out_dir)})",
            file=out_dir,
            hint="create the directory it points to, or remove the link",
        )
    return target


def recover_output(out_dir: Path) -> list[str]:
    """Finish the swap of a render killed between its two renames, or the in-place update of
    one killed after committing its journal; remove dead leftovers.

    Safe against a concurrent repair (a rename that lost the race is skipped). Returns what
    was done, one message each, for the user to see.
    """
    found = leftovers(out_dir.parent, out_dir.name, ("new", "old", "patch"))
    messages: list[str] = []
    if not os.path.lexists(out_dir):
        done = _finish_swap(out_dir, [f for f in found if f.kind == "old"])
        if done is not None:
            messages.append(done)
    elif out_dir.is_dir() and not out_dir.is_symlink():
        messages += _finish_updates(out_dir, [f for f in found if f.kind == "patch"])
    stale = [f for f in found if os.path.lexists(f.path)]
    for f in stale:
        shutil.rmtree(f.path, ignore_errors=True)
    if stale:
        messages.append(
            f"{out_dir.parent}: removed {len(stale)} leftover "
            f"director{'y' if len(stale) == 1 else 'ies'} of interrupted renders"
        )
    return messages


def _finish_swap(out_dir: Path, olds: list[Leftover]) -> str | None:
    """Put the new output of the latest interrupted swap in place (it was complete: the swap
    starts after staging), or else its previous output back."""
    for old in sorted(olds, key=_ctime, reverse=True):
        new = out_dir.parent / f".{out_dir.name}.new-{old.pid}-{old.token}"
        forward = (new / MANIFEST).is_file()
        try:
            os.rename(new if forward else old.path, out_dir)
        except OSError:
            continue  # another run repaired it first, or the directory is read-only
        done = "finished it: the new output is in place" if forward else "restored the old output"
        return f"{out_dir}: a render (pid {old.pid}) was interrupted mid-swap; {done}"
    return None


def _finish_updates(out_dir: Path, patches: list[Leftover]) -> list[str]:
    """Apply the committed journals of killed in-place updates, oldest first."""
    messages = []
    for patch in sorted(patches, key=_ctime):
        journal = read_journal(patch.path)
        if journal is None:
            continue  # killed before its commit: the output was not touched
        try:
            apply_journal(out_dir, patch.path, journal)
        except OSError as exc:
            raise UserError.single(
                "NG901",
                f"a render (pid {patch.pid}) was interrupted while updating this directory, "
                f"and finishing its update failed: {exc.strerror}",
                file=out_dir,
                hint=f"fix the cause and run again; the update waits in {patch.path.name}",
            ) from None
        messages.append(
            f"{out_dir}: a render (pid {patch.pid}) was interrupted while updating it; "
            "finished the update"
        )
    return messages


def _ctime(leftover: Leftover) -> float:
    try:
        return leftover.path.lstat().st_ctime
    except OSError:
        return 0.0


@dataclass(frozen=True)
class Owned:
    """What MANIFEST.json says netgen wrote in an output directory, and what else is there."""

    files: dict[str, dict[str, Any]]  # path -> MANIFEST entry
    present: frozenset[str]  # listed paths found as regular files reached through real dirs
    foreign: list[str]  # paths netgen did not write ("dir/" for directories)


def owned_files(out_dir: Path, *, force: bool = False) -> Owned:
    """Check that ``out_dir`` (existing or not) may be replaced, and list netgen's files.

    Refuses (NG901) a non-directory, a non-empty directory without MANIFEST.json, and unless
    ``force`` anything MANIFEST.json does not list: other files, directories, symlinks.
    """
    if not os.path.lexists(out_dir):
        return Owned({}, frozenset(), [])
    if out_dir.is_symlink() or not out_dir.is_dir():
        raise UserError.single("NG901", "output path exists and is not a directory", file=out_dir)
    if not any(out_dir.iterdir()):
        return Owned({}, frozenset(), [])
    manifest = out_dir / MANIFEST
    if manifest.is_symlink() or not manifest.is_file():
        raise UserError.single(
            "NG901",
            "output directory is not empty and was not written by netgen",
            file=out_dir,
            hint="choose an empty or new directory; netgen replaces it whole",
        )
    try:
        files = _manifest_entries(manifest)
    except UserError:
        if not force:
            raise
        files = {}  # --force: a broken MANIFEST.json is rebuilt, nothing in it is kept
    foreign, present = _inspect(out_dir, set(files))
    if foreign and not force:
        shown = ", ".join(foreign[:SHOWN_FOREIGN])
        more = f" and {len(foreign) - SHOWN_FOREIGN} more" if len(foreign) > SHOWN_FOREIGN else ""
        raise UserError.single(
            "NG901",
            f"output directory holds {len(foreign)} path(s) netgen did not write: {shown}{more}",
            file=out_dir,
            hint="move them elsewhere, or pass --force to replace the directory and lose them",
        )
    return Owned(files, frozenset(present), foreign)


def _manifest_entries(manifest: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(read_nofollow(manifest))
        entries = {str(e["path"]): e for e in data["files"] if isinstance(e, dict)}
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError.single(
            "NG901",
            "MANIFEST.json is not readable",
            file=manifest,
            hint="render the whole inventory with --force to rebuild it",
        ) from None
    return entries


def _inspect(out_dir: Path, listed: set[str]) -> tuple[list[str], set[str]]:
    """(entries MANIFEST.json does not account for, listed files present as regular files).

    Symlinks are reported, never followed; an unlisted directory is reported as ``dir/``
    without looking inside.
    """
    dirs = {p.rsplit("/", i)[0] for p in listed for i in range(1, p.count("/") + 1)}
    foreign: list[str] = []
    present: set[str] = set()
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        with os.scandir(out_dir / rel_dir) as it:
            for entry in it:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_symlink():
                    foreign.append(f"{rel} (symlink)")
                elif entry.is_dir(follow_symlinks=False):
                    if rel in dirs:
                        pending.append(rel)
                    else:
                        foreign.append(f"{rel}/")
                elif entry.is_file(follow_symlinks=False) and (rel in listed or rel == MANIFEST):
                    present.add(rel)
                else:
                    foreign.append(rel)
    return sorted(foreign), present


def read_owned(out_dir: Path, owned: Owned, keep: Callable[[str], bool]) -> list[RenderedFile]:
    """The files netgen wrote in ``out_dir`` that ``keep`` selects, with their secret mark and
    executable bit; symlinks and anything not listed in MANIFEST.json are skipped."""
    out: list[RenderedFile] = []
    for path in sorted(owned.present):
        if path == MANIFEST or not keep(path):
            continue
        target = out_dir / path
        secret = bool(owned.files[path].get("secret"))
        executable = bool(target.lstat().st_mode & stat.S_IXUSR)
        out.append(RenderedFile(path, read_nofollow(target), secret, executable, target))
    return out


def read_nofollow(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        return fh.read()
