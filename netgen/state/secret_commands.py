"""The `netgen secrets` operations on the store: list (fingerprints and ages, never values),
set, generate (for Cloudflare's "use my own pre-shared key" flow), and taking the PSKs an
import brought."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from netgen.core.errors import Diagnostic, Position, UserError
from netgen.inventory.model import Inventory
from netgen.state.lock import LockFile
from netgen.state.secrets import (
    MIN_LENGTH,
    NG_SHORT,
    NG_TUNNEL,
    NG_VALUE,
    Clock,
    Secret,
    SecretStore,
    StoreEntry,
    diag,
    fingerprint,
    generate_psk,
    ipsec_tunnels,
    iso,
    psk_problem,
)


@dataclass(frozen=True)
class SecretRow:
    """One line of ``netgen secrets list``: never the value."""

    tunnel: str
    source: str  # cloudflare | generated | manual | env:NAME | file:PATH | missing
    fingerprint: str | None
    updated: str | None
    age_days: int | None
    in_inventory: bool


def _age(entry: StoreEntry, now: datetime) -> int | None:
    try:
        return (now - datetime.fromisoformat(entry.updated)).days
    except (ValueError, TypeError):
        return None


def list_secrets(
    inventory: Inventory, store: SecretStore, psks: Mapping[str, str], *, now: datetime
) -> list[SecretRow]:
    """Rows for every IPsec tunnel and every stored tunnel. ``psks`` comes from
    :func:`resolve_psks` (whose errors the CLI shows as warnings here)."""
    rows: list[SecretRow] = []
    for t in ipsec_tunnels(inventory):
        value = psks.get(t.name)
        fp = fingerprint(value, store.salt) if value is not None else None
        ref = t.psk_ref
        if ref is not None:
            source = f"env:{ref.env}" if ref.env else f"file:{ref.file}"
            rows.append(SecretRow(t.name, source, fp, None, None, True))
        elif (entry := store.tunnels.get(t.name)) is not None:
            rows.append(SecretRow(t.name, entry.source, fp, entry.updated, _age(entry, now), True))
        else:
            rows.append(SecretRow(t.name, "missing", None, None, None, True))
    for name, entry in store.tunnels.items():
        if name not in inventory.tunnels:
            fp = store.fingerprint(name)
            rows.append(SecretRow(name, entry.source, fp, entry.updated, _age(entry, now), False))
    return sorted(rows, key=lambda r: r.tunnel)


def _check_tunnel(inventory: Inventory, name: str) -> Diagnostic | None:
    t = inventory.tunnels.get(name)
    pos = Position(inventory.file)
    known = "IPsec tunnels: " + (", ".join(t.name for t in ipsec_tunnels(inventory)) or "none")
    if t is None:
        return diag(NG_TUNNEL, f"no tunnel named {name!r} in the inventory", known, pos)
    if t.settings.tunnel_type != "ipsec":
        return diag(NG_TUNNEL, f"tunnel {name} is a GRE tunnel: it has no PSK", known, pos)
    if t.psk_ref is not None:
        msg = f"tunnel {name} takes its PSK from the inventory's `psk:` reference"
        return diag(NG_TUNNEL, msg, "remove the `psk:` reference to use the store", pos)
    return None


@dataclass(frozen=True)
class SetResult:
    store: SecretStore
    change: str
    diagnostics: list[Diagnostic]


def set_secret(
    store: SecretStore, inventory: Inventory, tunnel: str, psk: str, *, clock: Clock
) -> SetResult:
    """Store ``psk`` (read from stdin by the CLI) for ``tunnel``; raises UserError if unusable."""
    value = psk.rstrip("\r\n")
    problem = _check_tunnel(inventory, tunnel)
    if problem is None and (why := psk_problem(value)) is not None:
        problem = diag(
            NG_VALUE,
            f"tunnel {tunnel}: {why}",
            "use printable ASCII without spaces; `netgen secrets generate` makes one",
        )
    if problem is not None:
        raise UserError([problem])
    warnings = []
    if len(value) < MIN_LENGTH:
        msg = f"tunnel {tunnel}: PSK has fewer than {MIN_LENGTH} characters"
        warnings.append(diag(NG_SHORT, msg, "`netgen secrets generate` makes one", warn=True))
    new = store.with_entry(tunnel, StoreEntry(Secret(value), "manual", iso(clock())))
    return SetResult(new, f"{tunnel}: psk set (fingerprint {new.fingerprint(tunnel)})", warnings)


@dataclass(frozen=True)
class GeneratedPsk:
    tunnel: str
    tunnel_id: str | None  # from the lock, when `netgen import` has recorded it
    fingerprint: str
    psk: Secret

    def request_path(self, account_id: str | None) -> str:
        account = account_id or "{account_id}"
        return f"/accounts/{account}/magic/ipsec_tunnels/{self.tunnel_id or '{ipsec_tunnel_id}'}"

    def request_body(self) -> dict[str, str]:
        """``{"psk": ...}`` for ``PUT /accounts/{account_id}/magic/ipsec_tunnels/{id}``.

        This reveals the PSK: show it only when the user explicitly asks for the request body,
        never in logs, JSON summaries or error output.
        """
        return {"psk": self.psk.reveal()}


@dataclass(frozen=True)
class GenerateResult:
    store: SecretStore
    generated: list[GeneratedPsk]
    changes: list[str]


def generate_secrets(
    store: SecretStore,
    inventory: Inventory,
    lock: LockFile,
    tunnels: Sequence[str],
    *,
    clock: Clock,
    generate: Callable[[], str] = generate_psk,
) -> GenerateResult:
    """New random PSKs for Cloudflare's "use my own pre-shared key" flow.

    With ``tunnels`` named, those tunnels get a new PSK (replacing a stored one); with none,
    every IPsec tunnel without a stored PSK or a ``psk:`` reference gets one.
    """
    if tunnels:
        problems = [d for d in (_check_tunnel(inventory, n) for n in tunnels) if d is not None]
        if problems:
            raise UserError(problems)
        names = sorted(set(tunnels))
    else:
        names = [
            t.name
            for t in ipsec_tunnels(inventory)
            if t.psk_ref is None and t.name not in store.tunnels
        ]
    now = iso(clock())
    out: list[GeneratedPsk] = []
    for name in names:
        store = store.with_entry(name, StoreEntry(Secret(generate()), "generated", now))
        entry = lock.tunnels.get(name)
        tid = entry.cloudflare.id if entry is not None and entry.cloudflare else None
        fp = store.fingerprint(name) or ""
        out.append(GeneratedPsk(name, tid, fp, store.tunnels[name].psk))
    changes = [f"{g.tunnel}: psk generated (fingerprint {g.fingerprint})" for g in out]
    return GenerateResult(store, out, changes)


def apply_imported(
    store: SecretStore, psks: Mapping[str, str], lock: LockFile, *, clock: Clock
) -> tuple[SecretStore, list[str]]:
    """Store PSKs from ``netgen import`` (source ``cloudflare``); unchanged ones stay as they are.

    ``updated`` is Cloudflare's ``psk_generated_on`` from the lock when known, so importing the
    same responses twice leaves the store byte-for-byte identical.
    """
    changes: list[str] = []
    for name in sorted(psks):
        old = store.tunnels.get(name)
        if old is not None and old.source == "cloudflare" and old.psk == Secret(psks[name]):
            continue
        entry = lock.tunnels.get(name)
        when = entry.cloudflare.psk_generated_on if entry and entry.cloudflare else None
        new = StoreEntry(Secret(psks[name]), "cloudflare", when or iso(clock()))
        store = store.with_entry(name, new)
        changes.append(f"{name}: psk stored (fingerprint {store.fingerprint(name)})")
    return store, changes
