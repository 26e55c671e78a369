"""`netgen init`: a commented starter inventory, the inventory's JSON Schema beside it (for
editors, offline) and a ``.gitignore`` that keeps PSKs out of version control."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from netgen.core.errors import UserError
from netgen.core.resources import data_dir
from netgen.inventory.json_schema import SCHEMA_FILE_NAME, inventory_schema_text
from netgen.render.output import atomic_write

STARTER: Final = "common/starter-inventory.yaml"
GITIGNORE_TEMPLATE: Final = "common/gitignore"
GITIGNORE_HEADER: Final = (
    "# added by netgen init: never commit the PSK store, psk_generate answers or output with PSKs"
)


def starter_text() -> str:
    return (data_dir("templates") / STARTER).read_text()


def gitignore_text() -> str:
    """The ``.gitignore`` that ``netgen init`` writes into a directory that has none."""
    return (data_dir("templates") / GITIGNORE_TEMPLATE).read_text()


def _cannot_write(path: Path, exc: OSError) -> UserError:
    why = exc.strerror or type(exc).__name__
    return UserError.single("NG901", f"cannot write: {why}", file=path)


def write_starter(directory: Path, *, force: bool = False) -> Path:
    """Write ``inventory.yaml`` into ``directory``; never overwrite unless ``force``."""
    target = directory / "inventory.yaml"
    if target.exists() and not force:
        raise UserError.single(
            "NG901",
            "inventory.yaml already exists",
            file=target,
            hint="use --force to overwrite, or pick another directory",
        )
    try:
        atomic_write(target, starter_text().encode())
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    return target


@dataclass(frozen=True)
class EditorFiles:
    """What :func:`write_editor_files` did."""

    schema: Path  # netgen.schema.json, always (re)written: netgen owns it
    gitignore: Path
    gitignore_created: bool  # False: an existing .gitignore was kept (maybe appended to)
    gitignore_added: tuple[str, ...]  # the patterns written (all of them when created)

    @property
    def written(self) -> list[Path]:
        """The files created or changed."""
        return [self.schema, *([self.gitignore] if self.gitignore_added else [])]


def _pattern_key(line: str) -> str:
    """``/out/``, ``out`` and ``out/`` all keep ``out/`` out of git for a .gitignore here."""
    return line.strip().lstrip("/").rstrip("/")


def gitignore_patterns(text: str) -> list[str]:
    """The patterns of a .gitignore text (no blank or comment lines)."""
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


def merge_gitignore(existing: str, template: str) -> tuple[str, tuple[str, ...]]:
    """``existing`` with the patterns of ``template`` it lacks appended under a comment,
    and those patterns. Nothing of ``existing`` is changed or reordered."""
    have = {_pattern_key(p) for p in gitignore_patterns(existing)}
    missing = tuple(p for p in gitignore_patterns(template) if _pattern_key(p) not in have)
    if not missing:
        return existing, ()
    eol = "\r\n" if "\r\n" in existing else "\n"
    head = existing
    if head and not head.endswith(("\n", "\r")):
        head += eol
    if head.strip():
        head += eol  # a blank line between the user's lines and netgen's block
    return head + eol.join((GITIGNORE_HEADER, *missing)) + eol, missing


def _write_gitignore(path: Path) -> tuple[bool, tuple[str, ...]]:
    template = gitignore_text()
    target = path.resolve() if path.is_symlink() else path  # edit the file a symlink leads to
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        atomic_write(target, template.encode())
        return True, tuple(gitignore_patterns(template))
    # surrogateescape: a .gitignore that is not UTF-8 goes back byte for byte
    text, added = merge_gitignore(raw.decode("utf-8", "surrogateescape"), template)
    if added:
        mode = os.stat(target).st_mode & 0o7777
        atomic_write(target, text.encode("utf-8", "surrogateescape"), mode=mode)
    return False, added


def write_editor_files(directory: Path) -> EditorFiles:
    """Write ``netgen.schema.json`` (replacing an older one) and create ``.gitignore`` in
    ``directory``, or append to an existing one only the patterns it lacks.

    Raises:
        UserError: NG901 when a file cannot be read or written.
    """
    schema = directory / SCHEMA_FILE_NAME
    gitignore = directory / ".gitignore"
    try:
        atomic_write(schema, inventory_schema_text().encode())
    except OSError as exc:
        raise _cannot_write(schema, exc) from None
    try:
        created, added = _write_gitignore(gitignore)
    except OSError as exc:
        raise _cannot_write(gitignore, exc) from None
    return EditorFiles(schema, gitignore, created, added)
