"""Updating an output directory in place: the journal of one update, and how it is applied.

A render into an existing output directory changes only what changed: the new and changed
files are staged in a flat sibling directory ``.<out>.patch-<pid>-<token>/`` (no directory
tree to build: one file per entry, ``f<n>``), then the **journal** is committed there
(``JOURNAL.json``, written to a temporary name and renamed: the commit point, after the lock
was written). Applying it deletes the files the new render no longer has (and the directories
they leave empty), renames every staged file over its path (missing directories made), and
MANIFEST.json last. Applying is idempotent: a staged file that is gone was renamed already.

Crash safety: a render killed before the commit leaves the previous output untouched (its
staging directory is removed by the next run). A render killed while applying leaves a
committed journal behind; the next render (or ``--check``) of that directory applies the rest
before anything else and says so. Every entry is checked before it is applied, so a tampered
journal cannot reach outside the output directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from netgen.core.files import crash_point, fsync_dir

JOURNAL = "JOURNAL.json"
_STAGED = re.compile(r"f[0-9]+")


@dataclass(frozen=True)
class Journal:
    """What one update does: ``replace`` (staged name, path) pairs in order, MANIFEST.json
    last; ``delete`` the paths the update removes."""

    replace: list[tuple[str, str]]
    delete: list[str]

    def empty(self) -> bool:
        return not self.replace and not self.delete


def staged_name(n: int) -> str:
    return f"f{n}"


def commit_journal(staging: Path, journal: Journal) -> None:
    """Write ``JOURNAL.json`` into ``staging`` durably; from here the update is applied."""
    body = json.dumps({"replace": journal.replace, "delete": journal.delete}).encode()
    tmp = staging / f"{JOURNAL}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.rename(tmp, staging / JOURNAL)
    fsync_dir(staging)


def read_journal(staging: Path) -> Journal | None:
    """The committed journal of ``staging``; None if there is none or it is not one netgen
    wrote (a staged name or path that could point anywhere but inside the output)."""
    try:
        fd = os.open(staging / JOURNAL, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            data = json.loads(fh.read())
        replace = [(str(name), str(path)) for name, path in data["replace"]]
        delete = [str(path) for path in data["delete"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    names_ok = all(_STAGED.fullmatch(name) for name, _ in replace)
    if not names_ok or not all(safe_path(p) for p in [*delete, *(p for _, p in replace)]):
        return None
    return Journal(replace, delete)


def safe_path(path: str) -> bool:
    """A relative path inside the output: no empty, ``.`` or ``..`` component, no NUL."""
    parts = path.split("/")
    return "\0" not in path and all(p not in ("", ".", "..") for p in parts)


def apply_journal(out_dir: Path, staging: Path, journal: Journal) -> None:
    """Carry out ``journal`` on ``out_dir`` (idempotent; see the module docstring)."""
    for path in journal.delete:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            os.unlink(out_dir / path)
    _prune(out_dir, journal.delete)
    made: set[Path] = set()
    for n, (name, path) in enumerate(journal.replace):
        target = out_dir / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        try:
            os.replace(staging / name, target)
        except FileNotFoundError:
            continue  # renamed already (by the killed run, or by a concurrent repair)
        if n == 0:
            crash_point("output:mid-patch")
    fsync_dir(out_dir)


def _prune(out_dir: Path, deleted: Iterable[str]) -> None:
    """Remove the directories the deleted files leave empty, deepest first."""
    dirs = {p.rsplit("/", i)[0] for p in deleted for i in range(1, p.count("/") + 1)}
    for directory in sorted(dirs, key=lambda d: d.count("/"), reverse=True):
        with contextlib.suppress(OSError):  # not empty (or gone): it stays
            os.rmdir(out_dir / directory)
