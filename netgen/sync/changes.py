"""What `netgen apply` changes at Cloudflare: the inventory's request bodies against the live
account.

Tunnels are matched by name, routes by (prefix, next hop). A live object is **managed** when
netgen knows it: a tunnel whose id the lock holds or whose name the inventory has, a route whose
next hop is the customer side of a managed tunnel. Only managed objects are updated or deleted;
everything else is listed as unmanaged and never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from netgen.sync.client import KINDS, Kind

TUNNEL_KINDS: tuple[Kind, ...] = ("gre_tunnels", "ipsec_tunnels")
# the order apply runs them in: nothing ever points at an object that is not there yet
ORDER = (
    ("create", "gre_tunnels"),
    ("create", "ipsec_tunnels"),
    ("update", "gre_tunnels"),
    ("update", "ipsec_tunnels"),
    ("create", "routes"),
    ("update", "routes"),
    ("delete", "routes"),
    ("delete", "ipsec_tunnels"),
    ("delete", "gre_tunnels"),
)


@dataclass(frozen=True)
class Change:
    action: str  # create | update | delete
    kind: Kind
    name: str  # tunnel name, or "PREFIX via NEXTHOP" for a route
    object_id: str | None = None
    body: dict[str, Any] | None = None
    fields: dict[str, list[Any]] = field(default_factory=dict)  # update: FIELD -> [old, new]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "kind": self.kind, "name": self.name}
        if self.object_id:
            out["id"] = self.object_id
        if self.body is not None:
            out["body"] = self.body
        if self.fields:
            out["fields"] = self.fields
        return out


@dataclass(frozen=True)
class Unmanaged:
    kind: Kind
    name: str
    object_id: str


@dataclass
class ChangeSet:
    changes: list[Change]
    unmanaged: list[Unmanaged]

    @property
    def empty(self) -> bool:
        return not self.changes

    def ordered(self) -> list[Change]:
        rank = {step: i for i, step in enumerate(ORDER)}
        return sorted(self.changes, key=lambda c: (rank[(c.action, c.kind)], c.name))

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "delete": 0}
        for c in self.changes:
            out[c.action] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [c.to_json() for c in self.ordered()],
            "unmanaged": [
                {"kind": u.kind, "name": u.name, "id": u.object_id} for u in self.unmanaged
            ],
        }


def route_key(route: Mapping[str, Any]) -> str:
    return f"{route.get('prefix')} via {route.get('nexthop')}"


def _differs(want: Any, have: Any) -> bool:
    """A desired value against the live one; for objects (health_check) only the keys netgen
    sets count (Cloudflare adds its own)."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return True
        return any(_differs(v, have.get(k)) for k, v in want.items())
    if isinstance(want, str) and isinstance(have, str):
        return want != have
    return bool(want != have)


def field_changes(want: Mapping[str, Any], have: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [have.get(k), v] for k, v in want.items() if _differs(v, have.get(k))}


def _in_any(address: str, networks: Iterable[IPv4Network]) -> bool:
    try:
        ip = IPv4Address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def compute(
    desired: Mapping[str, list[dict[str, Any]]],
    live: Mapping[Kind, list[dict[str, Any]]],
    *,
    managed_ids: set[str],
    managed_interfaces: Iterable[IPv4Interface],
) -> ChangeSet:
    """The changes that make the live account match ``desired`` (bodies by kind)."""
    changes: list[Change] = []
    unmanaged: list[Unmanaged] = []
    wanted_names = {b["name"] for kind in TUNNEL_KINDS for b in desired.get(kind, [])}
    networks = [i.network for i in managed_interfaces]
    for kind in KINDS:
        key = route_key if kind == "routes" else (lambda o: str(o.get("name")))
        want = {key(b): b for b in desired.get(kind, [])}
        have = {key(o): o for o in live.get(kind, [])}
        for name, body in want.items():
            if name not in have:
                changes.append(Change("create", kind, name, body=body))
            elif fields := field_changes(body, have[name]):
                changes.append(
                    Change("update", kind, name, str(have[name].get("id")), body, fields)
                )
        for name, obj in have.items():
            if name in want:
                continue
            oid = str(obj.get("id"))
            if kind == "routes":
                managed = _in_any(str(obj.get("nexthop")), networks)
            else:
                managed = oid in managed_ids or name in wanted_names
            if managed:
                changes.append(Change("delete", kind, name, oid))
            else:
                unmanaged.append(Unmanaged(kind, name, oid))
    return ChangeSet(changes, unmanaged)
