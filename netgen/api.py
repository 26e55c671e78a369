"""The library interface. The CLI is a thin layer over these functions.

Every function takes paths (or plain data), returns a result object, and raises
:class:`~netgen.errors.UserError` with every diagnostic when the inputs are wrong. Nothing here
prints or exits.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netgen import __version__
from netgen.addressing import tunnel_sides
from netgen.allocate import Allocation, allocate
from netgen.errors import Diagnostic, Severity, UsageError, UserError, sort_diagnostics
from netgen.inventory import LoadedInventory, load_inventory_document, parse_inventory
from netgen.lock import LockFile, dump_lock, load_lock, lock_path_for, sticky_names
from netgen.output import (
    MANIFEST,
    diff_tree,
    json_lines_array,
    manifest_file,
    owned_files,
    prepare_output,
    read_owned,
    write_tree,
)
from netgen.payloads import build_payloads
from netgen.plan import DevicePlan, PlanInputs, site_remote_prefixes
from netgen.plan_build import build_device_plan, reveal_psks
from netgen.render import RenderedFile, make_environment, render_with_digest
from netgen.sources import digest_bytes, paused_gc
from netgen.statefiles import (
    Notify,
    crash_point,
    remove_leftover_temps,
    replace_file,
    state_target,
    writer_lock,
)
from netgen.vendors import Registry, VendorProfile, load_registry


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

    @functools.cached_property
    def lock_text(self) -> str:
        """The new lock as written to disk (computed once: it is large for big fleets)."""
        return dump_lock(self.allocation.lock)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]


def open_session(
    inventory: str | Path, *, prune: bool = False, registry: Registry | None = None
) -> Session:
    """Load, validate and allocate. Raises UserError listing every error."""
    path = Path(inventory)
    lock_path = lock_path_for(path)
    doc = load_inventory_document(path)
    lock = load_lock(lock_path)
    reg = registry or load_registry()
    loaded = parse_inventory(doc, sticky_names(lock))
    alloc = allocate(loaded.inventory, lock, loaded.index, prune=prune)
    diags = loaded.diagnostics + alloc.diagnostics
    if any(d.severity is Severity.ERROR for d in alloc.diagnostics):
        raise UserError(sort_diagnostics(diags))
    return Session(path, loaded, lock_path, lock, alloc, reg, sort_diagnostics(diags))


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
        remote_prefixes=site_remote_prefixes(inv),
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


# -- validate ------------------------------------------------------------------------------


@dataclass
class ValidateResult:
    inventory: Path
    sites: int
    devices: int
    tunnels: int
    diagnostics: list[Diagnostic]


def validate(inventory: str | Path) -> ValidateResult:
    """All errors and warnings: schema, Cloudflare rules, allocation and vendor capabilities."""
    session = open_session(inventory)
    device_plans(plan_inputs(session, allow_placeholders=True))
    inv = session.loaded.inventory
    return ValidateResult(
        session.path, len(inv.sites), len(inv.devices()), len(inv.tunnels), session.diagnostics
    )


# -- plan ----------------------------------------------------------------------------------


@dataclass
class PlanResult:
    tunnels: list[dict[str, Any]]
    orphans: list[dict[str, Any]]
    payloads: dict[str, list[dict[str, Any]]]
    diagnostics: list[Diagnostic]
    lock_path: Path
    lock_changed: bool
    lock_written: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "tunnels": self.tunnels,
            "orphans": self.orphans,
            "payloads": self.payloads,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "lock": {
                "path": str(self.lock_path),
                "changed": self.lock_changed,
                "written": self.lock_written,
            },
        }


def plan(
    inventory: str | Path,
    *,
    write_lock: bool = False,
    prune: bool = False,
    notify: Notify | None = None,
) -> PlanResult:
    """Allocations, names, statuses and API payloads; writes the lock only when asked (then
    under the writer lock, from reading the lock to writing it)."""
    if not write_lock:
        return _plan(inventory, write_lock=False, prune=prune)
    with writer_lock(Path(inventory).parent, notify=notify):
        check_state_files(Path(inventory))
        return _plan(inventory, write_lock=True, prune=prune)


def _plan(inventory: str | Path, *, write_lock: bool, prune: bool) -> PlanResult:
    session = open_session(inventory, prune=prune)
    inv = session.loaded.inventory
    alloc = session.allocation
    rows: list[dict[str, Any]] = []
    for name in sorted(inv.tunnels, key=lambda n: (inv.tunnels[n].site, inv.tunnels[n].device, n)):
        t = inv.tunnels[name]
        a = alloc.assignments[name]
        sides = tunnel_sides(a.interface_address)
        endpoint = inv.endpoint(t.endpoint)
        rows.append(
            {
                "name": name,
                "site": t.site,
                "device": t.device,
                "wan": t.wan,
                "endpoint": t.endpoint,
                "endpoint_address": str(endpoint.address) if endpoint else None,
                "type": t.settings.tunnel_type,
                "interface_address": str(a.interface_address),
                "cloudflare_address": str(sides.cloudflare),
                "customer_address": str(sides.customer),
                "index": a.index,
                "priority": t.priority,
                "status": a.status.value,
            }
        )
    orphans = [
        {
            "name": n,
            "site": e.site,
            "device": e.device,
            "wan": e.wan,
            "endpoint": e.endpoint,
            "interface_address": str(e.interface_address),
            "index": e.index,
            "status": "released" if prune else "orphaned",
        }
        for n, e in sorted(alloc.orphans.items())
    ]
    written = False
    if write_lock and alloc.changed:
        write_lock_file(session)
        written = True
    return PlanResult(
        rows,
        orphans,
        build_payloads(inv, alloc),
        session.diagnostics,
        session.lock_path,
        alloc.changed,
        written,
    )


def write_lock_file(session: Session) -> None:
    """Write the session's new lock atomically beside the inventory (through a symlink)."""
    replace_file(session.lock_path, session.lock_text.encode(), mode=0o644, what="the lock file")


def check_state_files(inventory: Path, *, clean: bool = True) -> None:
    """Before a command reads the lock and the secrets store: refuse one that is a symlink
    leading nowhere (NG904: a dangling link must not read as an empty lock or store), and
    (``clean``, under the writer lock) remove temporary files killed writers left beside them."""
    from netgen import secrets

    for path, what in (
        (lock_path_for(inventory), "the lock file"),
        (secrets.store_path_for(inventory), "the secrets store"),
    ):
        target = state_target(path, what)
        if clean:
            remove_leftover_temps(target)


# -- render --------------------------------------------------------------------------------


@dataclass
class RenderResult:
    files: list[RenderedFile]
    out_dir: Path | None
    written: bool
    drift: list[tuple[str, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lock_written: bool = False
    # MANIFEST entries of a streamed write (files then holds no contents)
    entries: list[dict[str, Any]] = field(default_factory=list)

    def manifest(self) -> list[dict[str, Any]]:
        """Path, sha256, size and secret mark of every file (MANIFEST.json included)."""
        if self.entries:
            return self.entries
        return [
            {
                "path": f.path,
                "sha256": hashlib.sha256(f.content).hexdigest(),
                "size": len(f.content),
                "secret": f.secret,
            }
            for f in self.files
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir) if self.out_dir else None,
            "written": self.written,
            "files": self.manifest(),
            "drift": [{"path": p, "change": c} for p, c in self.drift],
            "lock_written": self.lock_written,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


@dataclass
class RenderJob:
    """One rendering run: the files come from :meth:`files` one device at a time, so a fleet
    is never held in memory at once; the manifest header is known up front."""

    session: Session
    inputs: PlanInputs
    keep: Callable[[str, str], bool]
    manifest_header: dict[str, Any]

    def files(self) -> Iterator[RenderedFile]:
        """Every selected device's files, then the API payloads (not MANIFEST.json).

        Devices are planned and rendered one by one; every device's errors are collected and
        raised together after the last one (writers stage their output, so nothing lands).
        """
        inputs, registry = self.inputs, self.session.registry
        env = make_environment(registry.templates_root)
        reveal = inputs.reveal_secrets and bool(inputs.psks)
        with paused_gc():
            for plan in iter_device_plans(inputs, self.keep):
                vendor = registry.vendors[plan.vendor]
                revealed = reveal_psks(plan, inputs.psks, vendor) if reveal else None
                yield from render_with_digest(env, vendor, plan, revealed)
        payloads = build_payloads(inputs.inventory, self.session.allocation)
        for key in ("gre_tunnels", "ipsec_tunnels", "routes"):
            yield RenderedFile(f"cloudflare/{key}.json", json_lines_array(payloads[key]))


def render_job(
    session: Session,
    *,
    sites: Iterable[str] = (),
    devices: Iterable[str] = (),
    psks: dict[str, str] | None = None,
    reveal_secrets: bool = False,
    allow_placeholders: bool = False,
) -> RenderJob:
    site_set, device_set = set(sites), set(devices)
    _check_filters(session, site_set, device_set)
    inputs = plan_inputs(
        session, psks=psks, reveal_secrets=reveal_secrets, allow_placeholders=allow_placeholders
    )

    def keep(site: str, device: str) -> bool:
        return (not site_set or site in site_set) and (not device_set or device in device_set)

    header = {
        "netgen": __version__,
        "inputs": {
            "inventory": {"path": session.path.name, "sha256": session.loaded.inventory.digest},
            "lock": {
                "path": session.lock_path.name,
                "sha256": digest_bytes(session.lock_text.encode()),
            },
        },
        "filters": {"sites": sorted(site_set), "devices": sorted(device_set)},
    }
    return RenderJob(session, inputs, keep, header)


def render_files(
    session: Session,
    *,
    sites: Iterable[str] = (),
    devices: Iterable[str] = (),
    psks: dict[str, str] | None = None,
    reveal_secrets: bool = False,
    allow_placeholders: bool = False,
) -> list[RenderedFile]:
    """Render every selected device, the API payloads and MANIFEST.json, in memory."""
    job = render_job(
        session,
        sites=sites,
        devices=devices,
        psks=psks,
        reveal_secrets=reveal_secrets,
        allow_placeholders=allow_placeholders,
    )
    files = list(job.files())
    files.append(manifest_file(files, job.manifest_header))
    files.sort(key=lambda f: f.path)
    return files


def _check_filters(session: Session, sites: set[str], devices: set[str]) -> None:
    inv = session.loaded.inventory
    known_sites = {s.name for s in inv.sites}
    known_devices = {d.name for d in inv.devices()}
    diags = [
        Diagnostic(
            "NG508",
            f"--site {s!r} matches no site",
            hint="sites: " + ", ".join(sorted(known_sites)),
        )
        for s in sorted(sites - known_sites)
    ]
    diags += [
        Diagnostic(
            "NG508",
            f"--device {d!r} matches no device",
            hint="devices: " + ", ".join(sorted(known_devices)),
        )
        for d in sorted(devices - known_devices)
    ]
    if diags:
        raise UserError(diags)


def render(
    inventory: str | Path,
    out_dir: str | Path | None,
    *,
    check: bool = False,
    sites: Iterable[str] = (),
    devices: Iterable[str] = (),
    reveal_secrets: bool = False,
    allow_placeholders: bool = False,
    psks: dict[str, str] | None = None,
    force: bool = False,
    notify: Notify | None = None,
) -> RenderResult:
    """Render to ``out_dir`` (atomically), or compare with it when ``check``; ``out_dir=None``
    renders in memory only (the CLI's ``-o -``).

    Real PSKs are used only with ``reveal_secrets`` (from ``psks``, or else from the inventory's
    references and the secrets store); files holding them are written 0600 and marked secret
    in MANIFEST.json.

    Writing to a directory holds the inventory's writer lock throughout; new allocations are
    written to the lock once the output is staged and before it is swapped in, so output never
    lands without its lock (``check`` takes no lock; it only repairs an interrupted swap). An
    output directory holding anything netgen did not write (MANIFEST.json lists what it wrote)
    is refused unless ``force``. ``notify`` hears about waiting for the writer lock and about
    repairs of an interrupted earlier render.
    """
    options: dict[str, Any] = {
        "sites": sites,
        "devices": devices,
        "reveal_secrets": reveal_secrets,
        "allow_placeholders": allow_placeholders,
    }
    target = None if out_dir is None else Path(out_dir)
    if target is None or check:  # reads only (works in a read-only checkout)
        check_state_files(Path(inventory), clean=False)
        return _render(inventory, target, psks, options, check=check, force=force, notify=notify)
    with writer_lock(Path(inventory).parent, notify=notify):
        check_state_files(Path(inventory))
        return _render(inventory, target, psks, options, check=False, force=force, notify=notify)


def _render(
    inventory: str | Path,
    target: Path | None,
    psks: dict[str, str] | None,
    options: dict[str, Any],
    *,
    check: bool,
    force: bool,
    notify: Notify | None,
) -> RenderResult:
    session = open_session(inventory)
    if options["reveal_secrets"] and psks is None:
        psks, secret_diags = resolve_secrets(session)
        if any(d.severity is Severity.ERROR for d in secret_diags):
            raise UserError(sort_diagnostics(secret_diags))
        session.diagnostics = sort_diagnostics(session.diagnostics + secret_diags)
    options = {**options, "psks": psks}
    write_lock = functools.partial(_write_lock_if_changed, session)
    lock_written = session.allocation.changed
    filtered = bool(options["sites"] or options["devices"])
    if target is not None and not check and not filtered:
        # the common case streams: one device in memory at a time
        job = render_job(session, **options)
        entries = write_tree(
            target,
            job.files(),
            manifest_header=job.manifest_header,
            force=force,
            before_swap=write_lock,
            notify=notify,
        )
        return RenderResult([], target, True, [], session.diagnostics, lock_written, entries)
    files = render_files(session, **options)
    if target is None:
        return RenderResult(files, None, False, diagnostics=session.diagnostics)
    real = prepare_output(target, notify)
    if filtered:
        files = _keep_unselected(real, files, force=force, check=check)
    if check:
        return RenderResult(files, target, False, diff_tree(real, files), session.diagnostics)
    write_tree(real, files, force=force, before_swap=write_lock, notify=notify)
    return RenderResult(files, target, True, [], session.diagnostics, lock_written)


def _write_lock_if_changed(session: Session) -> bool:
    """Record new allocations so configs and lock agree (before the output is swapped in)."""
    if session.allocation.changed:
        write_lock_file(session)
        return True
    return False


def _keep_unselected(
    target: Path, files: list[RenderedFile], *, force: bool, check: bool
) -> list[RenderedFile]:
    """With --site/--device, the other devices' files netgen wrote in ``target`` (those
    MANIFEST.json lists) stay as they are, with their secret marks and executable bits;
    symlinks are never followed. MANIFEST.json is rebuilt over the merged set."""
    import json

    if check and not (target / MANIFEST).is_file():
        return files
    owned = owned_files(target, force=force or check)
    new = {f.path: f for f in files if f.path != MANIFEST}
    kept = read_owned(target, owned, lambda path: path not in new and path.startswith("sites/"))
    new.update((f.path, f) for f in kept)
    header = json.loads(next(f.content for f in files if f.path == MANIFEST))
    header.pop("files", None)
    merged = sorted(new.values(), key=lambda f: f.path)
    return [*merged, manifest_file(merged, header)]


# -- vendors -------------------------------------------------------------------------------


def vendors() -> list[dict[str, Any]]:
    """The registry as plain data."""
    reg = load_registry()
    return [
        {
            "id": v.id,
            "name": v.display_name,
            "versions": v.platform_versions,
            "default_version": v.default_version,
            "tested_versions": v.tested_versions,
            "capabilities": sorted(v.capabilities),
            "outputs": [o.filename for o in v.outputs],
            "hier_config_platform": v.hier_config_platform,
        }
        for v in (reg.vendors[i] for i in reg.ids())
    ]


# -- import and secrets ----------------------------------------------------------------------


@dataclass
class ImportSummary:
    changes: list[str]
    diagnostics: list[Diagnostic]
    lock_written: bool
    store_written: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": self.changes,
            "lock_written": self.lock_written,
            "secrets_written": self.store_written,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def import_responses(
    inventory: str | Path,
    sources: list[tuple[str, bytes]],
    *,
    adopt: bool = False,
    notify: Notify | None = None,
) -> ImportSummary:
    """Merge saved Cloudflare API responses into the lock (and PSKs into the secrets store).

    Nothing is written when any response has an error. Importing the same files twice changes
    nothing. Runs under the writer lock; the secrets store is written before the lock that
    refers to its PSKs, so a crash in between leaves new PSKs beside the old lock (importing
    again completes it), never a lock whose tunnels lack their PSKs.
    """
    from netgen import importer, secrets

    with writer_lock(Path(inventory).parent, notify=notify):
        check_state_files(Path(inventory))
        session = open_session(inventory)
        store_path = secrets.store_path_for(session.path)
        store = secrets.load_store(store_path)
        result = importer.import_responses(
            session.loaded.inventory,
            session.allocation.lock,
            session.lock,
            sources,
            adopt=adopt,
            store=store,
        )
        new_store, store_changes = secrets.apply_imported(
            store, result.psks, result.lock, clock=secrets.system_clock
        )
        lock_written = store_written = False
        if new_store != store:
            secrets.save_store(store_path, new_store)
            store_written = True
            crash_point("import:secrets-written")
        if result.lock_changed or session.allocation.changed:
            lock_text = dump_lock(result.lock).encode()
            replace_file(session.lock_path, lock_text, mode=0o644, what="the lock file")
            lock_written = True
    diags = list(result.diagnostics)
    warning = secrets.store_permission_warning(store_path)
    if warning is not None:
        diags.append(warning)
    # the store reports every PSK it took ("psk stored"), so the importer's own PSK lines
    # would only repeat them
    changes = [c for c in result.changes if not c.startswith("psk for ")] + store_changes
    return ImportSummary(changes, diags, lock_written, store_written)


def resolve_secrets(session: Session) -> tuple[dict[str, str], list[Diagnostic]]:
    """Every known PSK (inventory references first, then the secrets store)."""
    import os

    from netgen import secrets

    store_path = secrets.store_path_for(session.path)
    store = secrets.load_store(store_path)
    psks, diags = secrets.resolve_psks(
        session.loaded.inventory,
        store,
        base_dir=session.path.parent,
        env=os.environ,
        index=session.loaded.index,
    )
    warning = secrets.store_permission_warning(store_path)
    if warning is not None:
        diags.append(warning)
    return psks, diags


@dataclass
class SecretsListing:
    rows: list[dict[str, Any]]
    diagnostics: list[Diagnostic]


def secrets_list(inventory: str | Path) -> SecretsListing:
    """Tunnel, source, fingerprint and age of every PSK; never a value."""
    from netgen import secrets

    session = open_session(inventory)
    store = secrets.load_store(secrets.store_path_for(session.path))
    psks, diags = resolve_secrets(session)
    rows = secrets.list_secrets(session.loaded.inventory, store, psks, now=secrets.system_clock())
    warnings = [dataclasses.replace(d, severity=Severity.WARNING) for d in diags]
    return SecretsListing([dataclasses.asdict(r) for r in rows], warnings)


def secrets_set(
    inventory: str | Path, tunnel: str, psk: str, *, notify: Notify | None = None
) -> tuple[str, list[Diagnostic]]:
    """Store a PSK for ``tunnel`` (the CLI reads it from stdin), under the writer lock.

    A stored PSK of ``tunnel`` that breaks the PSK rule is replaced rather than refused.
    """
    from netgen import secrets

    with writer_lock(Path(inventory).parent, notify=notify):
        check_state_files(Path(inventory))
        session = open_session(inventory)
        store_path = secrets.store_path_for(session.path)
        store = secrets.load_store(store_path, replacing=(tunnel,))
        result = secrets.set_secret(
            store, session.loaded.inventory, tunnel, psk, clock=secrets.system_clock
        )
        secrets.save_store(store_path, result.store)
    return result.change, result.diagnostics


def secrets_generate(
    inventory: str | Path, tunnels: list[str], *, notify: Notify | None = None
) -> Any:
    """New random PSKs stored for the named (or all PSK-less) IPsec tunnels, under the
    writer lock.

    Returns the helper's result; its ``generated[i].request_body()`` reveals the PSK and is
    shown only on explicit request.
    """
    from netgen import secrets

    with writer_lock(Path(inventory).parent, notify=notify):
        check_state_files(Path(inventory))
        session = open_session(inventory)
        store_path = secrets.store_path_for(session.path)
        store = secrets.load_store(store_path, replacing=tunnels)
        result = secrets.generate_secrets(
            store,
            session.loaded.inventory,
            session.allocation.lock,
            tunnels,
            clock=secrets.system_clock,
        )
        if result.generated:
            secrets.save_store(store_path, result.store)
    return result


# -- lint ------------------------------------------------------------------------------------


def lint_configs(
    configs: list[str | Path], vendor: str, inventory: str | Path | None = None
) -> Any:
    """Check router configs (rendered or hand-written) against Cloudflare's rules.

    With ``inventory``, each tunnel is also checked against the plan (endpoint, identity,
    the customer side of its /31). Returns a :class:`netgen.lint.LintResult`.
    """
    from netgen import lint
    from netgen.sources import read_bytes

    profile = _lintable_vendor(vendor)
    sources = []
    for c in configs:
        raw = read_bytes(Path(c))
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            raise UserError.single("NG101", "not a UTF-8 text file", file=c) from None
        sources.append(lint.Source(str(c), text))
    expectations = None
    if inventory is not None:
        session = open_session(inventory)
        expectations = lint.expectations_for(session.loaded.inventory, session.allocation)
    return lint.lint(sources, profile, expectations)


def _lintable_vendor(vendor: str) -> VendorProfile:
    """The profile of ``vendor``; NG507 if unknown, NG509 (exit 2) if lint does not cover it."""
    registry = load_registry()
    profile = registry.get(vendor)
    covered = [v for v in registry.ids() if registry.vendors[v].lint is not None]
    if profile is None:
        raise UserError(
            [
                Diagnostic(
                    "NG507",
                    f"unknown vendor {vendor!r} for lint",
                    hint="one of: " + ", ".join(covered),
                )
            ]
        )
    if profile.lint is None:
        raise UsageError(
            [
                Diagnostic(
                    "NG509",
                    f"netgen lint does not cover {profile.display_name} ({vendor}): its vendor "
                    "profile has no lint section",
                    hint="lint covers: " + ", ".join(covered),
                )
            ]
        )
    return profile
