"""Load an inventory: YAML with positions → schema → neutral model → rule checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from netgen.core.documents import LoadedDocument, PositionIndex, load_yaml_file, paused_gc
from netgen.core.errors import Diagnostic, Severity, UserError, sort_diagnostics
from netgen.core.validation import diagnostics_from_validation
from netgen.inventory.model import Inventory
from netgen.inventory.resolve import Slot, resolve_inventory
from netgen.inventory.rules import run_checks
from netgen.inventory.schema import InventoryIn

SCHEMA_VERSION = 1


@dataclass
class LoadedInventory:
    """A validated inventory with its positions and every warning found."""

    inventory: Inventory
    index: PositionIndex
    path: Path | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def parse_inventory(
    doc: LoadedDocument,
    sticky: dict[Slot, str] | None = None,
    vendor_defaults: Mapping[str, dict[str, Any]] | None = None,
    extra_checks: list[Diagnostic] | None = None,
) -> LoadedInventory:
    """Validate a loaded document; raise :class:`UserError` with every error found."""
    index = doc.index
    data: Any = doc.data
    if not isinstance(data, dict):
        raise UserError(
            [
                Diagnostic(
                    "NG105",
                    "the inventory must be a YAML mapping",
                    position=index.position(()),
                    hint="start from `netgen init`",
                )
            ]
        )
    version = data.get("netgen")
    if version != SCHEMA_VERSION:
        where = index.position(("netgen",)) if "netgen" in data else index.position(())
        raise UserError(
            [
                Diagnostic(
                    "NG104",
                    f"unsupported inventory schema version {version!r}",
                    position=where,
                    hint=f"this netgen reads `netgen: {SCHEMA_VERSION}`",
                )
            ]
        )
    try:
        with paused_gc():
            model = InventoryIn.model_validate(data)
    except ValidationError as exc:
        raise UserError(
            sort_diagnostics(diagnostics_from_validation(exc, index, InventoryIn))
        ) from None
    inv = resolve_inventory(
        model,
        file=index.file,
        digest=doc.digest,
        sticky_names=sticky,
        vendor_defaults=vendor_defaults,
    )
    diags = run_checks(inv, index) + list(extra_checks or [])
    if any(d.severity is Severity.ERROR for d in diags):
        raise UserError(sort_diagnostics(diags))
    return LoadedInventory(inv, index, doc.path, sort_diagnostics(diags))


def load_inventory_document(path: Path) -> LoadedDocument:
    """Read the inventory file (positions kept for diagnostics)."""
    return load_yaml_file(path)
