"""`validate` and `plan`: the checks, the allocation and the API payloads, without rendering."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Interface
from pathlib import Path
from typing import Any

from netgen.api.memo import Memo, check_plans, diagnostics_from_json, diagnostics_to_json, memo_for
from netgen.api.session import (
    check_state_files,
    open_session,
    plan_inputs,
    write_lock_file,
)
from netgen.cloudflare.addressing import tunnel_sides
from netgen.cloudflare.payloads import build_payloads
from netgen.core.errors import Diagnostic
from netgen.core.files import (
    Notify,
    inventory_home,
    writer_lock,
)

# -- validate ------------------------------------------------------------------------------


@dataclass
class ValidateResult:
    inventory: Path
    sites: int
    devices: int
    tunnels: int
    diagnostics: list[Diagnostic]


def validate(inventory: str | Path, *, cache: bool | None = None, jobs: int = 1) -> ValidateResult:
    """All errors and warnings: schema, Cloudflare rules, allocation and vendor capabilities.

    An inventory whose files and lock are byte for byte those of a remembered successful run
    gets that run's result (:mod:`netgen.api.memo`; ``cache=False`` or ``NETGEN_NO_CACHE``
    turn it off); errors are always found afresh. Rules and devices are checked on ``jobs``
    cores.
    """
    path = Path(inventory)
    memo = memo_for(path, "validate", str(path.resolve()), {}, cache)
    found = _recall_validate(memo)
    if found is not None:
        return found
    session = open_session(inventory, cache=cache, jobs=jobs, known=memo.contents())
    inputs = plan_inputs(session, allow_placeholders=True)
    check_plans(inputs, memo.cache, memo.name, jobs)
    inv = session.loaded.inventory
    result = ValidateResult(
        session.path, len(inv.sites), len(inv.devices()), len(inv.tunnels), session.diagnostics
    )
    counts = [result.sites, result.devices, result.tunnels]
    memo.remember({"counts": counts, "diagnostics": diagnostics_to_json(result.diagnostics)})
    return result


def _recall_validate(memo: Memo) -> ValidateResult | None:
    value = memo.recall()
    if not isinstance(value, dict):
        return None
    diags = diagnostics_from_json(value.get("diagnostics"))
    counts = value.get("counts")
    if diags is None or not (isinstance(counts, list) and len(counts) == 3):
        return None
    if not all(type(n) is int for n in counts):
        return None
    return ValidateResult(memo.inventory, counts[0], counts[1], counts[2], diags)


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
    # tunnels the lock knows a Cloudflare id for (already created)
    existing: frozenset[str] = frozenset()

    def pending(self) -> dict[str, int]:
        """What is not done yet, by kind (empty: nothing pending)."""
        counts = {
            "new or changed allocation(s)": sum(t["status"] != "kept" for t in self.tunnels),
            "orphan(s)": len(self.orphans),
            "tunnel(s) not yet at Cloudflare": sum(
                t["name"] not in self.existing for t in self.tunnels
            ),
        }
        return {k: n for k, n in counts.items() if n}

    def to_json(self) -> dict[str, Any]:
        return {
            "tunnels": self.tunnels,
            "orphans": self.orphans,
            "payloads": split_payloads(self.payloads, self.existing),
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "lock": {
                "path": str(self.lock_path),
                "changed": self.lock_changed,
                "written": self.lock_written,
            },
        }


def split_payloads(
    payloads: dict[str, list[dict[str, Any]]], existing: frozenset[str]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``create`` (tunnels not yet at Cloudflare per the lock, and the routes through them) and
    ``existing`` (the rest): only ``create`` is POSTed by the manual loop of docs/workflow.md;
    `netgen apply` compares everything with the live account."""
    new_hops = {
        str(tunnel_sides(IPv4Interface(b["interface_address"])).customer)
        for kind in ("gre_tunnels", "ipsec_tunnels")
        for b in payloads.get(kind, [])
        if b["name"] not in existing
    }
    out: dict[str, dict[str, list[dict[str, Any]]]] = {"create": {}, "existing": {}}
    for kind, bodies in payloads.items():
        if kind == "routes":
            new = [b for b in bodies if b["nexthop"] in new_hops]
        else:
            new = [b for b in bodies if b["name"] not in existing]
        out["create"][kind] = new
        out["existing"][kind] = [b for b in bodies if b not in new]
    return out


def plan(
    inventory: str | Path,
    *,
    write_lock: bool = False,
    prune: bool = False,
    notify: Notify | None = None,
    cache: bool | None = None,
) -> PlanResult:
    """Allocations, names, statuses and API payloads; writes the lock only when asked (then
    under the writer lock, from reading the lock to writing it). ``cache``: see
    :func:`netgen.api.session.open_session`."""
    if not write_lock:
        return _plan(inventory, write_lock=False, prune=prune, cache=cache)
    with writer_lock(inventory_home(Path(inventory)), notify=notify):
        check_state_files(Path(inventory))
        return _plan(inventory, write_lock=True, prune=prune, cache=cache)


def _plan(
    inventory: str | Path, *, write_lock: bool, prune: bool, cache: bool | None
) -> PlanResult:
    session = open_session(inventory, prune=prune, cache=cache)
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
        frozenset(alloc.lock.cloudflare_ids()),
    )
