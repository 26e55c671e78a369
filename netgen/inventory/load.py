"""Load an inventory: YAML with positions → schema → neutral model → rule checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from netgen.core.cache import DISABLED, Cache
from netgen.core.document_cache import DocumentCache
from netgen.core.documents import (
    LoadedDocument,
    PathKey,
    PositionIndex,
    load_yaml_file,
    paused_gc,
)
from netgen.core.errors import Diagnostic, Severity, UserError, sort_diagnostics
from netgen.core.validation import diagnostics_from_validation
from netgen.inventory.directory import load_inventory_dir
from netgen.inventory.model import Inventory
from netgen.inventory.naming import Slot
from netgen.inventory.resolve import resolve_inventory
from netgen.inventory.schema import InventoryIn
from netgen.vendors.registry import ChoiceProblem, Registry

SCHEMA_VERSION = 1


@dataclass
class LoadedInventory:
    """A validated inventory with its positions and every warning found."""

    inventory: Inventory
    index: PositionIndex
    path: Path | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def resolve_document(
    doc: LoadedDocument,
    sticky: dict[Slot, str] | None = None,
    registry: Registry | None = None,
) -> LoadedInventory:
    """Validate a loaded document against the schema (its errors raised together with the
    vendors' and platform versions' of ``registry`` and the site files' problems) and resolve
    it into the neutral model, not yet checked against Cloudflare's rules (:func:`checked`);
    ``diagnostics`` holds the problems found so far, errors included."""
    index = doc.index
    data: Any = doc.data
    # errors of an inventory directory's site files: reported with everything found below
    pending = list(doc.problems)
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
    if version != SCHEMA_VERSION or isinstance(version, bool):  # true == 1 in Python
        where = index.position(("netgen",)) if "netgen" in data else index.position(())
        bad = Diagnostic(
            "NG104",
            f"unsupported inventory schema version {_shown_version(version)}",
            position=where,
            hint=f"this netgen reads `netgen: {SCHEMA_VERSION}`",
        )
        raise UserError(sort_diagnostics([bad, *pending]))
    vendor_diags = vendor_problems(data, index, registry) if registry is not None else []
    try:
        with paused_gc():
            model = InventoryIn.model_validate(data)
    except ValidationError as exc:
        schema = diagnostics_from_validation(exc, index, InventoryIn)
        raise UserError(sort_diagnostics(schema + vendor_diags + pending)) from None
    vendor_defaults = (
        {v.id: d for v in registry.vendors.values() if (d := v.settings_defaults())}
        if registry is not None
        else {}
    )
    inv = resolve_inventory(
        model,
        file=index.file,
        digest=doc.digest,
        sticky_names=sticky,
        vendor_defaults=vendor_defaults,
    )
    return LoadedInventory(inv, index, doc.path, vendor_diags + pending)


def checked(resolved: LoadedInventory, rules: list[Diagnostic]) -> LoadedInventory:
    """A resolved inventory with ``rules`` (what :func:`netgen.inventory.rules.run_checks`
    found in it) added to what was found before; every error raised together."""
    diags = rules + resolved.diagnostics
    if any(d.severity is Severity.ERROR for d in diags):
        raise UserError(sort_diagnostics(diags))
    return LoadedInventory(
        resolved.inventory, resolved.index, resolved.path, sort_diagnostics(diags)
    )


def _shown_version(version: object) -> str:
    """``netgen: true`` is shown as written, not as Python's ``True``."""
    if isinstance(version, bool):
        return "true" if version else "false"
    return repr(version)


def load_inventory_document(
    path: Path, cache: Cache = DISABLED, known: dict[Path, bytes] | None = None
) -> LoadedDocument:
    """Read the inventory: a YAML file, or a directory of netgen.yaml and sites/*.yaml
    (:mod:`netgen.inventory.directory`); positions kept for diagnostics. With ``cache``,
    files whose bytes did not change since they were last parsed are not parsed again
    (:mod:`netgen.core.document_cache`), and files whose bytes are ``known`` (read for the
    cache's key) are not read again."""
    if cache.root is None:
        return load_inventory_dir(path) if path.is_dir() else load_yaml_file(path)
    documents = DocumentCache(cache, str(path.resolve()), known)
    doc = load_inventory_dir(path, documents.load) if path.is_dir() else documents.load(path)
    documents.save()
    return doc


def vendor_problems(
    data: dict[str, Any], index: PositionIndex, registry: Registry
) -> list[Diagnostic]:
    """NG507 (unknown vendor) and NG505 (unsupported platform version) at the device's own
    ``vendor:`` / ``platform_version:`` line, read from the raw document so they are reported
    with every other error, even when the schema check fails."""
    out: list[Diagnostic] = []
    sites = data.get("sites")
    for si, site in enumerate(sites if isinstance(sites, list) else []):
        devices = site.get("devices") if isinstance(site, dict) else None
        for di, device in enumerate(devices if isinstance(devices, list) else []):
            if isinstance(device, dict):
                out += _device_vendor(device, ("sites", si, "devices", di), index, registry)
    return out


def _device_vendor(
    device: dict[str, Any], path: PathKey, index: PositionIndex, registry: Registry
) -> list[Diagnostic]:
    vendor_id = device.get("vendor")
    if not isinstance(vendor_id, str):
        return []  # the schema reports it
    version = device.get("platform_version")
    if isinstance(version, bool):
        return []  # the schema reports it (NG203), not as an unknown version "True"
    requested = str(version) if isinstance(version, int | float | str) else None
    choice = registry.choose(vendor_id, requested)
    return [choice.diagnostic(index, path)] if isinstance(choice, ChoiceProblem) else []
