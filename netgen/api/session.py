"""Opening an inventory: a session (inventory, lock, allocation, vendors), plan inputs and
device plans; the state-file checks the writers share."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from netgen.core.cache import open_cache
from netgen.core.documents import digest_bytes, paused_gc
from netgen.core.errors import Diagnostic, Severity, UserError, sort_diagnostics
from netgen.core.files import (
    inventory_home,
    remove_leftover_temps,
    replace_file,
    state_target,
)
from netgen.core.forking import alongside, can_fork
from netgen.inventory.load import (
    LoadedInventory,
    checked,
    load_inventory_document,
    resolve_document,
)
from netgen.inventory.rules import run_checks
from netgen.plan.build import build_device_plan
from netgen.plan.model import DevicePlan, PlanInputs, site_remote_prefixes
from netgen.state import secrets
from netgen.state.allocate import Allocation, allocate
from netgen.state.lock import LockFile, dump_lock, lock_path_for, sticky_names
from netgen.state.lock_read import load_lock
from netgen.vendors.registry import Registry, load_registry


@dataclass
class Session:
    """An inventory loaded, checked and allocated; the start of every command."""

    path: Path
    loaded: LoadedInventory
    lock_path: Path
    lock: LockFile
    allocation: Allocation
    registry: Registry
    diagnostics: list[Diagnostic]
    lock_digest_on_disk: str | None = None  # SHA-256 of the lock file read (None: no file)

    @functools.cached_property
    def lock_text(self) -> str:
        """The new lock as written to disk (computed once: it is large for big fleets)."""
        return dump_lock(self.allocation.lock)

    @functools.cached_property
    def lock_digest(self) -> str:
        """SHA-256 of the lock file as it is once the command is done: the file read, unless
        the allocation changed it (then the new lock's text, which is what gets written).
        Writing a fleet's lock text takes seconds; an unchanged lock needs none of it."""
        if not self.allocation.changed and self.lock_digest_on_disk is not None:
            return self.lock_digest_on_disk
        return digest_bytes(self.lock_text.encode())

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]


def open_session(
    inventory: str | Path,
    *,
    prune: bool = False,
    registry: Registry | None = None,
    cache: bool | None = None,
    jobs: int = 1,
    known: dict[Path, bytes] | None = None,
) -> Session:
    """Load, validate and allocate. Raises UserError listing every error.

    Inventory files parsed before are read from the cache beside the lock unless ``cache``
    is False or ``NETGEN_NO_CACHE`` is set (:mod:`netgen.core.document_cache`). Files whose
    bytes are ``known`` (read for a remembered result's key, :meth:`netgen.api.memo.Memo.
    contents`) are taken from there instead of read again.

    The cyclic garbage collector is paused throughout: loading builds millions of objects
    that all survive, and every collection would scan them again (more than half the time of
    opening a fleet's session); reference counting still frees what is dropped. With ``jobs``
    above 1, Cloudflare's rules are checked on another core while the parent allocates
    (:func:`_checked_and_allocated`).
    """
    path = Path(inventory)
    lock_path = lock_path_for(path)
    with paused_gc():
        known = known or {}
        lock_bytes = known.pop(lock_path, None)
        doc = load_inventory_document(path, open_cache(inventory_home(path), cache), known)
        lock = load_lock(lock_path, lock_bytes)
        on_disk = file_digest(lock_path) if lock_bytes is None else digest_bytes(lock_bytes)
        reg = registry or load_registry()
        resolved = resolve_document(doc, sticky_names(lock), reg)
        loaded, alloc = _checked_and_allocated(resolved, lock, prune, jobs)
    diags = loaded.diagnostics + alloc.diagnostics
    if any(d.severity is Severity.ERROR for d in alloc.diagnostics):
        raise UserError(sort_diagnostics(diags))
    return Session(path, loaded, lock_path, lock, alloc, reg, sort_diagnostics(diags), on_disk)


def _checked_and_allocated(
    resolved: LoadedInventory, lock: LockFile, prune: bool, jobs: int
) -> tuple[LoadedInventory, Allocation]:
    """Cloudflare's rules, then the allocation, with the outcome of doing them in that order.
    With several cores the rules run in a forked child while this process allocates; the
    allocation assumes a checked inventory, so it counts only once the rules found no error
    (then an exception it raised is raised; with errors, both are dropped for the errors)."""
    if jobs <= 1 or not can_fork():
        loaded = checked(resolved, run_checks(resolved.inventory, resolved.index))
        return loaded, allocate(loaded.inventory, lock, loaded.index, prune=prune)
    failure: Exception | None = None
    with alongside(lambda: run_checks(resolved.inventory, resolved.index)) as rules:
        try:
            alloc = allocate(resolved.inventory, lock, resolved.index, prune=prune)
        except Exception as exc:  # an unchecked inventory: decided below
            failure = exc
        loaded = checked(resolved, rules())
    if failure is not None:
        raise failure
    return loaded, alloc


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes, None if it does not exist."""
    try:
        return digest_bytes(path.read_bytes())
    except FileNotFoundError:
        return None


def plan_inputs(
    session: Session,
    *,
    psks: dict[str, str] | None = None,
    reveal_secrets: bool = False,
    allow_placeholders: bool = False,
) -> PlanInputs:
    inv = session.loaded.inventory
    return PlanInputs(
        inventory=inv,
        index=session.loaded.index,
        allocation=session.allocation,
        registry=session.registry,
        psks=psks or {},
        reveal_secrets=reveal_secrets,
        allow_placeholders=allow_placeholders,
        remote_routes=site_remote_prefixes(inv),
    )


def iter_device_plans(
    inputs: PlanInputs, keep: Callable[[str, str], bool] | None = None
) -> Iterator[DevicePlan]:
    """Plans of every (selected) device, by site and device name, one at a time.

    After the first device with an error no more plans are yielded, but every remaining
    device is still planned so that all errors are raised together at the end.
    """
    diags: list[Diagnostic] = []
    for site in sorted(inputs.inventory.sites, key=lambda s: s.name):
        for dev in sorted(site.devices, key=lambda d: d.name):
            if keep is not None and not keep(site.name, dev.name):
                continue
            try:
                plan = build_device_plan(inputs, dev)
            except UserError as exc:
                diags.extend(exc.diagnostics)
                continue
            if not diags:
                yield plan
    if diags:
        raise UserError(sort_diagnostics(diags))


def device_plans(
    inputs: PlanInputs, keep: Callable[[str, str], bool] | None = None
) -> list[DevicePlan]:
    """Plans of every (selected) device; every device's errors are collected before raising."""
    return list(iter_device_plans(inputs, keep))


def write_lock_file(session: Session) -> None:
    """Write the session's new lock atomically beside the inventory (through a symlink)."""
    replace_file(session.lock_path, session.lock_text.encode(), mode=0o644, what="the lock file")


def check_state_files(inventory: Path, *, clean: bool = True) -> None:
    """Before a command reads the lock and the secrets store: refuse one that is a symlink
    leading nowhere (NG904: a dangling link must not read as an empty lock or store), and
    (``clean``, under the writer lock) remove temporary files killed writers left beside them."""

    for path, what in (
        (lock_path_for(inventory), "the lock file"),
        (secrets.store_path_for(inventory), "the secrets store"),
    ):
        target = state_target(path, what)
        if clean:
            remove_leftover_temps(target)
