"""Writing a render into an output directory netgen wrote before: only what changed.

The files of a render arrive as a stream. A file read back unchanged from this very directory
(``RenderedFile.source``) or equal to what is there (content and mode) is left in place; every
other file is staged, flat, in ``.<out>.patch-<pid>-<token>/``. Once the stream has ended, the
files MANIFEST.json listed that the render no longer has are to be deleted, and the journal
(:mod:`netgen.render.journal`) is committed after ``before_swap`` (the lock) and applied. A
one-site change of a fleet touches that site's files, the API payloads and MANIFEST.json:
nothing is copied, linked or made for the thousands of devices that did not change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from netgen.core.files import crash_point, tagged_name
from netgen.render.environment import RenderedFile
from netgen.render.journal import Journal, apply_journal, commit_journal, staged_name
from netgen.render.output_dir import MANIFEST, Owned, read_nofollow


def file_mode(f: RenderedFile) -> int:
    if f.secret:
        return 0o700 if f.executable else 0o600
    return 0o755 if f.executable else 0o644


def manifest_entry(f: RenderedFile) -> dict[str, Any]:
    return {
        "path": f.path,
        "sha256": hashlib.sha256(f.content).hexdigest(),
        "size": len(f.content),
        "secret": f.secret,
    }


def patchable(owned: Owned) -> bool:
    """An output directory netgen wrote (MANIFEST.json lists files) holding nothing else."""
    return bool(owned.files) and not owned.foreign


def patch_tree(
    out_dir: Path,
    files: Iterable[RenderedFile],
    owned: Owned,
    *,
    manifest: Callable[[list[dict[str, Any]]], RenderedFile] | None,
    before_swap: Callable[[], object] | None,
) -> list[dict[str, Any]]:
    """Make ``out_dir`` hold exactly ``files`` (and MANIFEST.json built by ``manifest`` from
    their entries, if given), changing only what differs. Returns the entries written.

    Until the journal is committed, a failure (the stream raising, a full disk, ``before_swap``
    raising) removes the staging directory and leaves ``out_dir`` as it was. A failure while
    the journal is applied leaves it for the next run to finish.
    """
    staging = out_dir.parent / tagged_name(out_dir.name, "patch")
    staging.mkdir(mode=0o700)
    try:
        stager = _Stager(out_dir, staging, owned)
        for f in files:
            stager.add(f)
        if manifest is not None:
            stager.add(manifest(sorted(stager.entries, key=lambda e: e["path"])))
        journal = stager.journal()
        if journal.empty():
            shutil.rmtree(staging, ignore_errors=True)
            return sorted(stager.entries, key=lambda e: e["path"])
        crash_point("output:staged")
        if before_swap is not None:
            before_swap()
        crash_point("output:before-swap")
        commit_journal(staging, journal)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    apply_journal(out_dir, staging, journal)
    crash_point("output:patched")
    shutil.rmtree(staging, ignore_errors=True)
    return sorted(stager.entries, key=lambda e: e["path"])


class _Stager:
    """Sorts the stream into files left in place and files staged (MANIFEST.json last)."""

    def __init__(self, out_dir: Path, staging: Path, owned: Owned) -> None:
        self.out_dir, self.staging, self.owned = out_dir, staging, owned
        self.entries: list[dict[str, Any]] = []
        self.replace: list[tuple[str, str]] = []
        self.last: list[tuple[str, str]] = []  # MANIFEST.json
        self.seen: set[str] = set()

    def add(self, f: RenderedFile) -> None:
        self.seen.add(f.path)
        self.entries.append(entry := manifest_entry(f))
        if self._in_place(f, entry["sha256"]):
            return
        name = staged_name(len(self.replace) + len(self.last))
        mode = file_mode(f)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(self.staging / name, flags, mode)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)  # whatever the umask
            fh.write(f.content)
        (self.last if f.path == MANIFEST else self.replace).append((name, f.path))

    def _in_place(self, f: RenderedFile, sha256: str) -> bool:
        """The file at ``f.path`` already is ``f``: read back from it, or the same bytes with
        the same mode (checked on disk, not only in MANIFEST.json)."""
        target = self.out_dir / f.path
        if f.source is not None and f.source == target:
            return True
        if f.path not in self.owned.present and f.path != MANIFEST:
            return False
        listed = self.owned.files.get(f.path)
        if f.path != MANIFEST and (listed is None or listed.get("sha256") != sha256):
            return False
        try:
            st = os.lstat(target)
            if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != file_mode(f):
                return False
            return read_nofollow(target) == f.content
        except OSError:
            return False

    def journal(self) -> Journal:
        gone = sorted(p for p in self.owned.present if p not in self.seen)
        return Journal(self.replace + self.last, gone)
