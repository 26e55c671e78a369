"""An inventory (a file, or a directory of netgen.yaml and sites/*.yaml), its lock and its
secrets store as they are at a git revision, read through :mod:`netgen.core.git` and written
into a scratch directory, where they load like any inventory (`netgen diff --from REV`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from netgen.core.errors import UserError
from netgen.core.files import inventory_home
from netgen.core.git import git_output
from netgen.inventory.directory import MAIN_FILE, SITES_DIR, is_site_file_name
from netgen.state.lock import LOCK_NAME
from netgen.state.secrets import STORE_NAME

# git show prints the blobs it is given one after the other: this many per process
_BLOBS_PER_CALL = 256
_FILE_MODES = (b"100644", b"100755")  # regular files (a symlink's blob is its target's name)


@dataclass(frozen=True)
class Checkout:
    """The inventory written out (its lock beside it, as at the revision) and the bytes of the
    secrets store at the revision, if it was committed."""

    inventory: Path
    store: bytes | None


def repository(path: Path) -> tuple[Path, str]:
    """The work tree holding the inventory ``path`` (resolved) and its POSIX path in it."""
    found = git_output(inventory_home(path), "rev-parse", "--show-toplevel")
    if found is None:
        raise UserError.single(
            "NG802",
            "the inventory is not in a git repository",
            file=path,
            hint="commit the inventory and its lock, or compare two output directories",
        )
    root = Path(found.decode().strip())
    return root, path.relative_to(root).as_posix()


def checkout(root: Path, rel: str, rev: str, directory: Path) -> Checkout:
    """Write the inventory ``rel`` (file or directory) and its lock as they are at ``rev``
    into ``directory`` (which must not exist)."""
    # a revision is never read as an option of git (`--output=FILE` would write a file)
    kind = None if rev.startswith("-") else git_output(root, "cat-file", "-t", _at(rev, rel))
    if kind is None:
        raise UserError.single(
            "NG803",
            f"the inventory {rel} does not exist at revision {rev!r}",
            file=rel,
            hint="give a revision git knows (`git log`) in which the inventory exists",
        )
    directory.mkdir(parents=True)
    if kind.strip() == b"tree":
        inventory = directory / "inventory"
        _write_tree(root, rel, rev, inventory)
        home = rel
    else:
        inventory = directory / "inventory.yaml"
        inventory.write_bytes(git_output(root, "show", _at(rev, rel)) or b"")
        home = PurePosixPath(rel).parent.as_posix()
    lock = git_output(root, "show", _at(rev, _join(home, LOCK_NAME)))
    if lock is not None:
        (inventory_home(inventory) / LOCK_NAME).write_bytes(lock)
    store = git_output(root, "show", _at(rev, _join(home, STORE_NAME)))
    return Checkout(inventory, store)


def _at(rev: str, rel: str) -> str:
    """git's name of ``rel`` at ``rev`` (``rev:`` alone is the top of the work tree)."""
    return f"{rev}:{'' if rel == '.' else rel}"


def _join(rel: str, name: str) -> str:
    return name if rel == "." else f"{rel}/{name}"


def _write_tree(root: Path, rel: str, rev: str, target: Path) -> None:
    """netgen.yaml and the site files of an inventory directory at ``rev``: the files the
    working-tree loader would read (``ls-tree``), in one ``git show`` per batch of files."""
    main = git_output(root, "show", _at(rev, _join(rel, MAIN_FILE)))
    if main is None:
        raise UserError.single(
            "NG803",
            f"the inventory directory {rel} has no {MAIN_FILE} at revision {rev!r}",
            file=rel,
            hint="give a revision in which the inventory directory holds netgen.yaml",
        )
    (target / SITES_DIR).mkdir(parents=True)
    (target / MAIN_FILE).write_bytes(main)
    sites = _join(rel, SITES_DIR) + "/"
    listed = git_output(root, "ls-tree", "-z", "-l", rev, "--", sites) or b""
    entries = _site_entries(listed)
    for start in range(0, len(entries), _BLOBS_PER_CALL):
        batch = entries[start : start + _BLOBS_PER_CALL]
        for (_oid, _size, name), data in zip(batch, _read_blobs(root, batch), strict=True):
            (target / SITES_DIR / name).write_bytes(data)


def _site_entries(listed: bytes) -> list[tuple[str, int, str]]:
    """(object id, size, file name) of the site files in ``ls-tree -z -l`` output."""
    entries = []
    for record in listed.split(b"\0"):
        meta, _, name_bytes = record.partition(b"\t")
        fields = meta.split()
        name = PurePosixPath(name_bytes.decode("utf-8", "surrogateescape")).name
        regular = len(fields) == 4 and fields[1] == b"blob" and fields[0] in _FILE_MODES
        if regular and is_site_file_name(name):
            entries.append((fields[2].decode(), int(fields[3]), name))
    return entries


def _read_blobs(root: Path, batch: list[tuple[str, int, str]]) -> list[bytes]:
    """The blobs of ``batch``: one ``git show`` cut at the sizes ``ls-tree -l`` gave, or one
    ``git show`` per blob when that output does not add up."""
    data = git_output(root, "show", *(oid for oid, _, _ in batch))
    if data is not None and len(data) == sum(size for _, size, _ in batch):
        out, at = [], 0
        for _, size, _ in batch:
            out.append(data[at : at + size])
            at += size
        return out
    return [git_output(root, "show", oid) or b"" for oid, _, _ in batch]
