"""``netgen import``: merge saved Cloudflare API responses into a new lock, safely.

Tunnels are matched by name, PSKs by tunnel id (known from the lock or from a tunnel object in
the same batch). Every disagreement with the inventory or the lock is an error naming the
response file and the JSON path; when any error exists nothing is returned for writing. The
newest object wins when several responses describe one tunnel (``modified_on``, then argument
order), so importing the same files twice yields the same lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Interface, IPv4Network
from typing import Any, Final

from netgen.cloudflare.responses import (
    NG_OBJECT,
    GreTunnel,
    IpsecTunnel,
    PskGenerated,
    TunnelKind,
    read_response,
)
from netgen.core.errors import Diagnostic, Position, Severity, UserError, sort_diagnostics
from netgen.inventory.model import Inventory, Tunnel
from netgen.state.lock import (
    CloudflareFacts,
    LockFile,
    LockTunnel,
    RemoteIdentities,
    interface_address_problem,
)
from netgen.state.secrets import NG_VALUE, SecretStore, fingerprint, psk_problem

# NG6xx (part 2): merging; NG601-NG606 are in cloudflare.responses (all in core.codes).
NG_ENDPOINT: Final = "NG610"
NG_CUSTOMER: Final = "NG611"
NG_ADDRESS: Final = "NG612"
NG_ADOPT: Final = "NG613"
NG_TYPE: Final = "NG614"
NG_ID: Final = "NG615"
NG_CONFLICT: Final = "NG616"
NG_PSK_UNKNOWN: Final = "NG620"
NG_UNKNOWN: Final = "NG621"
NG_STALE: Final = "NG622"
_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass
class ImportResult:
    """The new lock (not written), PSKs to store, what changed, and warnings."""

    lock: LockFile
    psks: dict[str, str] = field(repr=False)  # tunnel -> PSK: never print
    changes: list[str]
    diagnostics: list[Diagnostic]
    lock_changed: bool


@dataclass(frozen=True)
class _Found:
    file: str
    path: str
    order: int
    kind: TunnelKind = "ipsec"
    tunnel: GreTunnel | IpsecTunnel | None = None
    psk: PskGenerated | None = None

    def diag(self, code: str, sub: str, msg: str, hint: str | None, warn: bool) -> Diagnostic:
        path = f"{self.path}.{sub}" if sub else self.path
        sev = Severity.WARNING if warn else Severity.ERROR
        return Diagnostic(code, f"{path}: {msg}", sev, Position(self.file), hint, path)


def _when(stamp: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat(stamp or "")
    except ValueError:
        return _EPOCH
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _older(stamp: str | None, than: str | None) -> bool:
    """Whether a response's ``stamp`` is older than the lock's (both must be known)."""
    return bool(stamp and than and _when(stamp) < _when(than))


def _latest(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return b if _when(b) >= _when(a) else a


def import_responses(
    inventory: Inventory,
    lock: LockFile,
    on_disk: LockFile,
    sources: Sequence[tuple[str, bytes]],
    *,
    adopt: bool = False,
    store: SecretStore | None = None,
) -> ImportResult:
    """Merge saved responses ``(display name, raw bytes)`` into a new lock; raise UserError with
    every diagnostic when any is an error. ``lock`` is the allocation's lock of ``inventory``
    (``on_disk`` plus new allocations); the result's ``changed`` says whether the new lock
    differs from ``on_disk``.
    ``store`` (optional) keys PSK fingerprints and silences PSKs it already holds."""
    diags: list[Diagnostic] = []
    tunnels: list[_Found] = []
    psks: list[_Found] = []
    for file, raw in sources:
        found = read_response(raw, file)
        diags += found.diagnostics
        for t in found.tunnels:
            tunnels.append(_Found(file, t.path, len(tunnels) + len(psks), t.kind, t.tunnel))
        for p in found.psks:
            psks.append(_Found(file, p.path, len(tunnels) + len(psks), psk=p.psk))
    merge = _Merge(inventory, lock, adopt, store)
    merge.add_tunnels(tunnels)
    merge.add_psks(psks)
    diags = sort_diagnostics(diags + merge.diags)
    if any(d.severity is Severity.ERROR for d in diags):
        raise UserError(diags)
    new = LockFile(tunnels=dict(sorted(merge.tunnels.items())))
    return ImportResult(new, merge.psks, merge.changes, diags, new != on_disk)


_RECREATED = (
    "if the tunnel was deleted and recreated, remove its `cloudflare:` block from "
    "netgen.lock.yaml and import again"
)
_FIX_AT_CF = "fix the tunnel at Cloudflare"


class _Merge:
    def __init__(
        self, inventory: Inventory, lock: LockFile, adopt: bool, store: SecretStore | None
    ) -> None:
        self.inv = inventory
        self.adopt = adopt
        self.store = store
        self.tunnels: dict[str, LockTunnel] = dict(lock.tunnels)
        facts = {n: e.cloudflare for n, e in self.tunnels.items() if e.cloudflare}
        self.ids = {f.id: n for n, f in facts.items() if f.id}
        self.diags: list[Diagnostic] = []
        self.changes: list[str] = []
        self.psks: dict[str, str] = {}
        self.adopted: dict[str, _Found] = {}
        self.lans = [(p, site.name) for site in self.inv.sites for p in site.lan_prefixes]

    def report(
        self,
        rec: _Found,
        code: str,
        sub: str,
        msg: str,
        hint: str | None = None,
        warn: bool = False,
    ) -> None:
        self.diags.append(rec.diag(code, sub, msg, hint, warn))

    # -- tunnels ------------------------------------------------------------------------------

    def add_tunnels(self, found: list[_Found]) -> None:
        groups: dict[str, list[_Found]] = {}
        for f in found:
            assert f.tunnel is not None
            groups.setdefault(f.tunnel.name, []).append(f)
        batch_ids: dict[str, str] = {}
        for name in sorted(groups):
            rec = self._pick(name, groups[name])
            if rec is None or rec.tunnel is None:
                continue
            if rec.tunnel.id:
                batch_ids.setdefault(rec.tunnel.id, name)
            t = self.inv.tunnels.get(name)
            if t is None:
                msg = f"Cloudflare has {rec.kind} tunnel {name}, which the inventory lacks; ignored"
                self.report(rec, NG_UNKNOWN, "", msg, "add it to the inventory", warn=True)
            elif name in self.tunnels:
                self._merge(t, rec)
        self._check_adopted()
        for tid, name in batch_ids.items():
            self.ids.setdefault(tid, name)

    def _pick(self, name: str, recs: list[_Found]) -> _Found | None:
        ids = sorted({r.tunnel.id for r in recs if r.tunnel is not None and r.tunnel.id})
        if len(ids) > 1 or len({r.kind for r in recs}) > 1:
            what = f"ids {', '.join(ids)}" if len(ids) > 1 else "both a GRE and an IPsec tunnel"
            for r in recs:
                msg = f"tunnel {name} appears as {what} in this import"
                self.report(r, NG_CONFLICT, "", msg, "import one consistent set of responses")
            return None
        return max(recs, key=lambda r: (_when(r.tunnel.modified_on if r.tunnel else None), r.order))

    def _merge(self, t: Tunnel, rec: _Found) -> None:
        tun = rec.tunnel
        assert tun is not None
        entry = self.tunnels[t.name]
        old = entry.cloudflare or CloudflareFacts()
        if t.settings.tunnel_type != rec.kind:
            msg = (
                f"Cloudflare has {t.name} as {rec.kind}, the inventory as {t.settings.tunnel_type}"
            )
            self.report(rec, NG_TYPE, "", msg, "fix the inventory, or recreate the tunnel")
            return
        if _older(tun.modified_on, old.modified_on):
            msg = f"older than the lock's {old.modified_on}; ignored"
            self.report(rec, NG_STALE, "modified_on", msg, "save a fresh response", warn=True)
            return
        count = len(self.diags)
        self._endpoints(t, rec, tun)
        self._identity(t, rec, tun, old)
        iface = self._address(t, rec, entry.interface_address, tun.interface_address)
        if len(self.diags) > count or iface is None:
            return
        facts = _facts(rec.kind, tun, old)
        new = entry.model_copy(update={"interface_address": iface, "cloudflare": facts})
        self.changes += _changes(t.name, entry, new)
        self.tunnels[t.name] = new

    def _endpoints(self, t: Tunnel, rec: _Found, tun: GreTunnel | IpsecTunnel) -> None:
        gre = rec.kind == "gre"
        ep = self.inv.endpoint(t.endpoint)
        if ep is not None and ep.address != tun.cloudflare_address:
            sub = "cloudflare_gre_endpoint" if gre else "cloudflare_endpoint"
            msg = f"{tun.cloudflare_address} differs from {t.endpoint} ({ep.address}) for {t.name}"
            hint = "Cloudflare endpoints cannot be edited: fix the inventory or recreate the tunnel"
            self.report(rec, NG_ENDPOINT, sub, msg, hint)
        link = next((d.wan_link(t.wan) for d in self.inv.devices() if d.name == t.device), None)
        if link is not None and tun.customer_address not in (None, link.address):
            sub = "customer_gre_endpoint" if gre else "customer_endpoint"
            where = f"{t.device} {t.wan} ({link.address})"
            msg = f"{tun.customer_address} differs from {where} for {t.name}"
            self.report(rec, NG_CUSTOMER, sub, msg, "fix the inventory, or update the tunnel")

    def _identity(
        self, t: Tunnel, rec: _Found, tun: GreTunnel | IpsecTunnel, old: CloudflareFacts
    ) -> None:
        holder = self.ids.get(tun.id) if tun.id else None
        if tun.id and old.id and old.id != tun.id:
            msg = f"{tun.id} differs from the lock's id {old.id} for {t.name}"
            self.report(rec, NG_ID, "id", msg, _RECREATED)
        elif holder is not None and holder != t.name:
            msg = f"id {tun.id} belongs to {holder} in the lock; Cloudflare calls it {t.name}"
            self.report(rec, NG_ID, "id", msg, _RECREATED)

    def _address(
        self, t: Tunnel, rec: _Found, ours: IPv4Interface, theirs: IPv4Interface
    ) -> IPv4Interface | None:
        if ours == theirs:
            return ours
        what = f"{theirs} differs from the lock's {ours} for {t.name}"
        what += " (same subnet, sides swapped)" if ours.network == theirs.network else ""
        sub = "interface_address"
        if not self.adopt:
            hint = f"{_FIX_AT_CF}, or import with --adopt to take Cloudflare's value"
            self.report(rec, NG_ADDRESS, sub, what, hint)
            return None
        if t.pinned_address is not None:
            hint = f"set interface_address: {theirs} on {t.name} in the inventory"
            self.report(rec, NG_ADDRESS, sub, what + "; the inventory pins it", hint)
            return None
        problem = _adopt_problem(theirs, self.lans)
        if problem:
            self.report(rec, NG_ADOPT, sub, f"{theirs} {problem}", _FIX_AT_CF)
            return None
        self.adopted[t.name] = rec
        return theirs

    def _check_adopted(self) -> None:
        for name, rec in sorted(self.adopted.items()):
            net = self.tunnels[name].interface_address.network
            used = [
                (n, e)
                for n, e in sorted(self.tunnels.items())
                if n != name and e.interface_address.network.overlaps(net)
            ]
            if used:
                msg = f"{net} is already used by {used[0][0]} ({used[0][1].interface_address})"
                self.report(rec, NG_ADOPT, "interface_address", msg, _FIX_AT_CF)
            else:
                self.changes.append(f"{name}: interface_address adopted from Cloudflare")

    # -- PSKs ---------------------------------------------------------------------------------

    def add_psks(self, found: list[_Found]) -> None:
        groups: dict[str, list[_Found]] = {}
        for f in found:
            name = self._psk_owner(f)
            if name is not None:
                groups.setdefault(name, []).append(f)
        for name in sorted(groups):
            rec = max(groups[name], key=lambda r: (_when(_psk_on(r)), r.order))
            assert rec.psk is not None
            entry = self.tunnels[name]
            facts = entry.cloudflare or CloudflareFacts()
            if _older(_psk_on(rec), facts.psk_generated_on):
                msg = f"generated before the lock's PSK ({facts.psk_generated_on}); ignored"
                hint = "save the response of the latest psk_generate"
                sub = "psk_metadata.last_generated_on"
                self.report(rec, NG_STALE, sub, msg, hint, warn=True)
                continue
            value = rec.psk.psk.get_secret_value()
            if (problem := psk_problem(value)) is not None:
                self.report(rec, NG_VALUE, "psk", problem, "set the PSK with `netgen secrets set`")
                continue
            self.psks[name] = value
            when = _latest(facts.psk_generated_on, _psk_on(rec))
            if when != facts.psk_generated_on:
                facts = facts.model_copy(update={"psk_generated_on": when})
                self.tunnels[name] = entry.model_copy(update={"cloudflare": facts})
            held = self.store.tunnels.get(name) if self.store else None
            if held is None or held.psk.reveal() != value:
                fp = fingerprint(value, self.store.salt) if self.store else None
                self.changes.append(f"psk for {name}" + (f" (fingerprint {fp})" if fp else ""))

    def _psk_owner(self, f: _Found) -> str | None:
        assert f.psk is not None
        tid, sub = f.psk.tunnel_id, "ipsec_tunnel_id"
        name = self.ids.get(tid) if tid else None
        t = self.inv.tunnels.get(name) if name else None
        if not tid:
            self.report(f, NG_OBJECT, sub, "missing", "import the response as the API returned it")
        elif name is None:
            hint = "import the tunnel's list or get response in the same run (or before)"
            self.report(f, NG_PSK_UNKNOWN, sub, f"PSK for unknown tunnel id {tid}", hint)
        elif t is None or name not in self.tunnels:
            msg = f"PSK for {name}, which the inventory lacks; ignored"
            self.report(f, NG_UNKNOWN, sub, msg, warn=True)
        elif t.settings.tunnel_type != "ipsec":
            self.report(f, NG_TYPE, sub, f"PSK for {name}, which the inventory has as GRE")
        else:
            return name
        return None


def _psk_on(rec: _Found) -> str | None:
    meta = rec.psk.psk_metadata if rec.psk else None
    return meta.last_generated_on if meta else None


def _adopt_problem(iface: IPv4Interface, lans: list[tuple[IPv4Network, str]]) -> str | None:
    """The inventory's rules for a pinned address: NG310-NG312, and no LAN overlap (NG314)."""
    problem = interface_address_problem(iface)
    if problem is not None:
        return problem
    for lan, site in lans:
        if iface.network.overlaps(lan):
            return f"overlaps LAN prefix {lan} of site {site}"
    return None


def _facts(kind: TunnelKind, tun: GreTunnel | IpsecTunnel, old: CloudflareFacts) -> CloudflareFacts:
    ident = old.remote_identities if kind == "ipsec" else None
    psk_on = old.psk_generated_on if kind == "ipsec" else None
    if isinstance(tun, IpsecTunnel):
        got = tun.remote_identities
        if got is not None:
            base = ident or RemoteIdentities()
            ident = RemoteIdentities(
                fqdn_id=got.fqdn_id or base.fqdn_id,
                user_id=got.user_id or base.user_id,
                hex_id=got.hex_id or base.hex_id,
            )
        if tun.psk_metadata is not None:
            psk_on = _latest(psk_on, tun.psk_metadata.last_generated_on)
    return CloudflareFacts(
        id=tun.id or old.id,
        type=kind,
        remote_identities=ident,
        cloudflare_endpoint=tun.cloudflare_address,
        customer_endpoint=tun.customer_address,
        created_on=tun.created_on or old.created_on,
        modified_on=tun.modified_on or old.modified_on,
        psk_generated_on=psk_on,
    )


def _flat(entry: LockTunnel) -> dict[str, Any]:
    facts = entry.cloudflare.model_dump(mode="json") if entry.cloudflare else {}
    ident = facts.pop("remote_identities", None) or {}
    return {"interface_address": str(entry.interface_address), **facts, **ident}


def _changes(name: str, old: LockTunnel, new: LockTunnel) -> list[str]:
    before, after = _flat(old), _flat(new)
    verbs: dict[str, list[str]] = {"set": [], "changed": [], "removed": []}
    for key, value in after.items():
        if key == "interface_address":
            continue  # reported by _check_adopted
        if before.get(key) is None and value is not None:
            verbs["set"].append(key)
        elif before.get(key) != value:
            verbs["removed" if value is None else "changed"].append(key)
    return [f"{name}: {verb} {', '.join(keys)}" for verb, keys in verbs.items() if keys]
