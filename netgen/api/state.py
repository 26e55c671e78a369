"""`import` of saved Cloudflare API responses and the PSK secrets store
(`secrets list/set/generate`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netgen.api.session import Session, check_state_files, open_session
from netgen.core.errors import Diagnostic, Severity
from netgen.core.files import (
    Notify,
    crash_point,
    inventory_home,
    replace_file,
    writer_lock,
)
from netgen.state import importer, secret_commands, secrets
from netgen.state.lock import dump_lock

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

    with writer_lock(inventory_home(Path(inventory)), notify=notify):
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
        new_store, store_changes = secret_commands.apply_imported(
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

    store_path = secrets.store_path_for(session.path)
    store = secrets.load_store(store_path)
    psks, diags = secrets.resolve_psks(
        session.loaded.inventory,
        store,
        base_dir=inventory_home(session.path),
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

    session = open_session(inventory)
    store = secrets.load_store(secrets.store_path_for(session.path))
    psks, diags = resolve_secrets(session)
    rows = secret_commands.list_secrets(
        session.loaded.inventory, store, psks, now=secrets.system_clock()
    )
    warnings = [dataclasses.replace(d, severity=Severity.WARNING) for d in diags]
    return SecretsListing([dataclasses.asdict(r) for r in rows], warnings)


def secrets_set(
    inventory: str | Path, tunnel: str, psk: str, *, notify: Notify | None = None
) -> tuple[str, list[Diagnostic]]:
    """Store a PSK for ``tunnel`` (the CLI reads it from stdin), under the writer lock.

    A stored PSK of ``tunnel`` that breaks the PSK rule is replaced rather than refused.
    """

    with writer_lock(inventory_home(Path(inventory)), notify=notify):
        check_state_files(Path(inventory))
        session = open_session(inventory)
        store_path = secrets.store_path_for(session.path)
        store = secrets.load_store(store_path, replacing=(tunnel,))
        result = secret_commands.set_secret(
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

    with writer_lock(inventory_home(Path(inventory)), notify=notify):
        check_state_files(Path(inventory))
        session = open_session(inventory)
        store_path = secrets.store_path_for(session.path)
        store = secrets.load_store(store_path, replacing=tunnels)
        result = secret_commands.generate_secrets(
            store,
            session.loaded.inventory,
            session.allocation.lock,
            tunnels,
            clock=secrets.system_clock,
        )
        if result.generated:
            secrets.save_store(store_path, result.store)
    return result
