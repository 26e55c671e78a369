"""Editor and version-control support: the inventory's JSON Schema (``netgen schema``), the
files ``netgen init`` writes, ``netgen split`` (an inventory file into a directory of files),
and whether an output directory would leak PSKs into git."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from netgen.core.documents import load_yaml_text, read_bytes
from netgen.core.errors import UserError
from netgen.core.files import fsync_dir, tagged_name
from netgen.core.git import GitExposure, exposure
from netgen.inventory.directory import MAIN_FILE, SITES_DIR
from netgen.inventory.json_schema import inventory_json_schema, inventory_schema_text
from netgen.inventory.split import SplitTexts, split_document
from netgen.render.starter import write_editor_files, write_starter
from netgen.state.lock import lock_path_for
from netgen.state.secrets import store_path_for

__all__ = [
    "GitExposure",
    "InitResult",
    "SplitResult",
    "exposure",
    "init_project",
    "inventory_json_schema",
    "output_exposure",
    "schema_text",
    "split_inventory",
]


def schema_text() -> str:
    """The inventory's JSON Schema (draft 2020-12): sorted keys, 2-space indent, final newline.
    The same bytes as ``schema/inventory.schema.json`` and the ``netgen.schema.json`` that
    ``netgen init`` writes."""
    return inventory_schema_text()


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_project` wrote."""

    inventory: Path
    schema: Path  # netgen.schema.json, which the inventory's modeline points at
    gitignore: Path
    gitignore_created: bool  # False: it existed and was kept, maybe appended to
    gitignore_added: tuple[str, ...]  # patterns written (all of them when created)

    @property
    def written(self) -> list[Path]:
        """Every file created or changed, inventory first."""
        extra = [self.gitignore] if self.gitignore_added else []
        return [self.inventory, self.schema, *extra]


def init_project(directory: Path, *, force: bool = False) -> InitResult:
    """``netgen init``: the starter ``inventory.yaml`` (never overwritten unless ``force``),
    ``netgen.schema.json`` beside it, and ``.gitignore`` (created, or only the missing
    patterns appended).

    Raises:
        UserError: NG901 when inventory.yaml exists (without ``force``) or a file cannot be
            written. Nothing else is written when inventory.yaml is refused.
    """
    inventory = write_starter(directory, force=force)
    files = write_editor_files(directory)
    return InitResult(
        inventory, files.schema, files.gitignore, files.gitignore_created, files.gitignore_added
    )


def output_exposure(directory: Path) -> GitExposure | None:
    """Whether files written into ``directory`` could be committed to git (see
    :func:`netgen.core.git.exposure`); ``None`` when not, or when git cannot tell."""
    return exposure(directory)


@dataclass(frozen=True)
class SplitResult:
    """What :func:`split_inventory` wrote."""

    directory: Path
    files: tuple[Path, ...]  # netgen.yaml, then the site files in the inventory's order
    dumped: tuple[str, ...]  # parts rewritten by yaml.safe_dump (the rest kept as written)
    state_files: tuple[Path, ...]  # the lock and secrets store beside the file, to move in


def split_inventory(inventory: str | Path, directory: str | Path) -> SplitResult:
    """``netgen split``: write ``directory/netgen.yaml`` (every top-level key but ``sites``)
    and ``directory/sites/<site name>.yaml`` (one site each, as written where possible), which
    load to the same document. Nothing else is copied: the lock and the secrets store beside
    the file are listed in ``state_files`` for the user to move into the directory.

    Raises:
        UserError: the inventory cannot be read or split (NG1xx, NG203, NG303), or
            ``directory`` exists and is not an empty directory (NG901). Nothing is written then.
    """
    source, target = Path(inventory), Path(directory)
    if source.is_dir():
        raise UserError.single(
            "NG101", "is a directory: it is split already", file=source, hint="give a YAML file"
        )
    raw = read_bytes(source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""  # UTF-16: every part is written by yaml.safe_dump
    texts = split_document(load_yaml_text(raw, str(source)), text)
    _refuse_occupied(target)
    _write_split(texts, target)
    files = [target / MAIN_FILE, *(target / SITES_DIR / name for name, _ in texts.sites)]
    state = tuple(p for p in (lock_path_for(source), store_path_for(source)) if p.exists())
    return SplitResult(target, tuple(files), texts.dumped, state)


def _refuse_occupied(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UserError.single("NG901", "exists and is not a directory", file=target)
    if target.is_dir() and any(target.iterdir()):
        raise UserError.single(
            "NG901",
            "the directory is not empty",
            file=target,
            hint="give a new or empty directory for the split inventory",
        )


def _write_split(texts: SplitTexts, target: Path) -> None:
    """Every file into a temporary directory beside ``target``, then one rename."""
    parent = target.absolute().parent
    stage = parent / tagged_name(target.name, "split")
    try:
        (stage / SITES_DIR).mkdir(parents=True)
        (stage / MAIN_FILE).write_text(texts.main, encoding="utf-8", newline="")
        for name, text in texts.sites:
            (stage / SITES_DIR / name).write_text(text, encoding="utf-8", newline="")
        os.rename(stage, target)  # replaces an empty directory; refuses a non-empty one
        fsync_dir(parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            shutil.rmtree(stage)
        raise UserError.single(
            "NG901", f"cannot write the split inventory: {exc.strerror or exc}", file=target
        ) from None
