"""Editor and version-control support: the inventory's JSON Schema (``netgen schema``), the
files ``netgen init`` writes, and whether an output directory would leak PSKs into git."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from netgen.core.git import GitExposure, exposure
from netgen.inventory.json_schema import inventory_json_schema, inventory_schema_text
from netgen.render.starter import write_editor_files, write_starter

__all__ = [
    "GitExposure",
    "InitResult",
    "exposure",
    "init_project",
    "inventory_json_schema",
    "output_exposure",
    "schema_text",
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
