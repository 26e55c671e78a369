"""`pull` and `apply`: the live Cloudflare account through the official SDK (docs/workflow.md).

``pull`` lists the account's tunnels and imports them exactly as ``netgen import`` imports saved
responses. ``apply`` computes the change set against the live account, asks, then runs it in a
safe order (create tunnels, generate PSKs for new IPsec tunnels straight into the secrets store,
update, create/update routes, delete routes, delete tunnels), writing the lock and secrets after
every step so an interruption loses nothing already created, and lists again to verify.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Interface
from pathlib import Path
from typing import Any

from netgen.api.session import Session, open_session
from netgen.api.state import ImportSummary, import_responses
from netgen.cloudflare.payloads import build_payloads
from netgen.core.errors import Diagnostic, UserError
from netgen.core.files import Notify, inventory_home, replace_file, writer_lock
from netgen.state.lock import dump_lock
from netgen.sync.changes import TUNNEL_KINDS, Change, ChangeSet, compute
from netgen.sync.client import KINDS, CloudClient, CloudError, Kind, listed, unavailable


@dataclass
class PullResult:
    imported: ImportSummary
    counts: dict[str, int]
    saved: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "saved": self.saved,
            "changes": self.imported.changes,
            "lock_written": self.imported.lock_written,
            "diagnostics": [d.to_json() for d in self.imported.diagnostics],
        }


@dataclass
class ApplyResult:
    changeset: ChangeSet
    dry_run: bool
    applied: list[Change] = field(default_factory=list)
    verified: bool | None = None  # None: nothing was applied
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            **self.changeset.to_json(),
            "applied": len(self.applied),
            "verified": self.verified,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def _client(session: Session) -> CloudClient:
    problem = unavailable()
    if problem is not None:
        raise UserError.single(problem.code, problem.message, hint=problem.hint)
    account = session.loaded.inventory.account_id
    if not account:
        raise UserError.single(
            "NG636",
            "the inventory has no account id",
            file=str(session.path),
            hint="set account.id (the 32-character Cloudflare account id)",
        )
    return CloudClient(account)


def _refused(
    exc: CloudError, what: str, done: int | None = None, total: int | None = None
) -> UserError:
    progress = (
        f"; {done} of {total} changes were applied (run apply again to finish)" if total else ""
    )
    if exc.auth:
        return UserError.single(
            "NG633",
            f"Cloudflare refused the API token while {what}: {exc.summary}",
            hint="CLOUDFLARE_API_TOKEN needs Magic WAN/Transit read (pull) and edit (apply) "
            "permission on the inventory's account" + progress,
        )
    return UserError.single(
        "NG634",
        f"Cloudflare refused {what}: {exc.summary}{progress}",
        hint="see Cloudflare's message",
    )


def _list_all(client: CloudClient) -> dict[Kind, bytes]:
    out: dict[Kind, bytes] = {}
    for kind in KINDS:
        try:
            out[kind] = client.list_raw(kind)
        except CloudError as exc:
            raise _refused(exc, f"listing {kind}") from None
    return out


def pull(
    inventory: str | Path,
    *,
    save: Path | None = None,
    adopt: bool = False,
    notify: Notify | None = None,
) -> PullResult:
    """List the account's GRE and IPsec tunnels and routes; import the tunnels."""
    session = open_session(inventory)
    raws = _list_all(_client(session))
    saved = []
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        for kind, raw in raws.items():  # list answers carry no PSK
            replace_file(save / f"{kind}.json", raw, mode=0o644, what="a saved response")
            saved.append(str(save / f"{kind}.json"))
    sources = [(f"pull:{kind}", raws[kind]) for kind in TUNNEL_KINDS]
    summary = import_responses(inventory, sources, adopt=adopt, notify=notify)
    counts = {str(kind): len(listed(raw, kind)) for kind, raw in raws.items()}
    return PullResult(summary, counts, saved)


def _envelope(kind: Kind, items: list[dict[str, Any]]) -> bytes:
    body = {"success": True, "errors": [], "messages": [], "result": {kind: items}}
    return json.dumps(body).encode()


def _adopt_new(
    inventory: str | Path, session: Session, live: dict[Kind, list[dict[str, Any]]], adopt: bool
) -> bool:
    """Import live tunnels the inventory names but the lock has no id for (made by hand, or by
    an apply interrupted before its lock write): their ids, identities and, with ``adopt``,
    Cloudflare's interface addresses. True when something was imported."""
    known = session.allocation.lock.cloudflare_ids()
    names = set(session.loaded.inventory.tunnels)
    sources = []
    for kind in TUNNEL_KINDS:
        items = [o for o in live[kind] if o.get("name") in names and o.get("name") not in known]
        if items:
            sources.append((f"account:{kind}", _envelope(kind, items)))
    if sources:
        import_responses(inventory, sources, adopt=adopt)
    return bool(sources)


def plan_changes(session: Session, live: dict[Kind, list[dict[str, Any]]]) -> ChangeSet:
    desired = build_payloads(session.loaded.inventory, session.allocation)
    lock = session.allocation.lock
    known = lock.cloudflare_ids()
    interfaces: list[IPv4Interface] = [
        e.interface_address for n, e in lock.tunnels.items() if n in known
    ] + [IPv4Interface(b["interface_address"]) for k in TUNNEL_KINDS for b in desired.get(k, [])]
    return compute(desired, live, managed_ids=set(known.values()), managed_interfaces=interfaces)


def apply(
    inventory: str | Path,
    *,
    dry_run: bool = False,
    adopt: bool = False,
    confirm: Callable[[ChangeSet], bool] | None = None,
    notify: Notify | None = None,
) -> ApplyResult:
    """Make the account match the inventory. ``confirm`` sees the change set and says yes or no
    (None: yes). ``dry_run`` only reads, locally and remotely."""
    session = open_session(inventory)
    client = _client(session)
    live = {kind: listed(raw, kind) for kind, raw in _list_all(client).items()}
    if not dry_run and _adopt_new(inventory, session, live, adopt):
        session = open_session(inventory)
    changeset = plan_changes(session, live)
    result = ApplyResult(changeset, dry_run, diagnostics=list(session.warnings))
    if dry_run or changeset.empty:
        return result
    if confirm is not None and not confirm(changeset):
        raise UserError.single("NG635", "not applied: the change set was not confirmed")
    steps = changeset.ordered()
    for change in steps:
        try:
            _run(client, inventory, change, notify)
        except CloudError as exc:
            what = f"to {change.action} {change.kind} {change.name}"
            raise _refused(exc, what, len(result.applied), len(steps)) from None
        result.applied.append(change)
    after = open_session(inventory)
    live = {kind: listed(raw, kind) for kind, raw in _list_all(client).items()}
    result.verified = plan_changes(after, live).empty
    return result


def _run(client: CloudClient, inventory: str | Path, change: Change, notify: Notify | None) -> None:
    label = f"apply:{change.action}:{change.kind}:{change.name}"
    if change.action == "create":
        assert change.body is not None
        raw = client.create_raw(change.kind, change.body)
        if change.kind in TUNNEL_KINDS:
            import_responses(inventory, [(label, raw)], notify=notify)
            if change.kind == "ipsec_tunnels":
                psk = client.psk_generate_raw(_created_id(raw, change.name))
                import_responses(inventory, [(f"{label}:psk_generate", psk)], notify=notify)
    elif change.action == "update":
        assert change.body is not None and change.object_id is not None
        raw = client.update_raw(change.kind, change.object_id, change.body)
        if change.kind in TUNNEL_KINDS:
            import_responses(inventory, [(label, raw)], notify=notify)
    else:
        assert change.object_id is not None
        client.delete_raw(change.kind, change.object_id)
        if change.kind in TUNNEL_KINDS:
            _forget(inventory, change.name, notify)


def _created_id(raw: bytes, name: str) -> str:
    """The id in a create answer: the object itself (SDK 5) or a one-element list (older)."""
    result = json.loads(raw).get("result")
    if isinstance(result, dict):
        for value in result.values():
            if isinstance(value, list):
                result = next((o for o in value if o.get("name") == name), None)
                break
    if isinstance(result, dict) and isinstance(result.get("id"), str):
        return str(result["id"])
    raise UserError.single(
        "NG634", f"Cloudflare's answer to creating {name} has no tunnel id", file="(API)"
    )


def _forget(inventory: str | Path, name: str, notify: Notify | None) -> None:
    """The tunnel is deleted at Cloudflare: drop its Cloudflare facts from the lock (its /31
    stays reserved until `--prune`, as routers may still carry it)."""
    with writer_lock(inventory_home(Path(inventory)), notify=notify):
        session = open_session(inventory)
        lock = session.lock
        entry = lock.tunnels.get(name)
        if entry is None or entry.cloudflare is None:
            return
        tunnels = {**lock.tunnels, name: entry.model_copy(update={"cloudflare": None})}
        text = dump_lock(lock.model_copy(update={"tunnels": tunnels})).encode()
        replace_file(session.lock_path, text, mode=0o644, what="the lock file")
