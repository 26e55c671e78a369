"""Sticky allocation of tunnel /31s and device-local tunnel indexes.

Rules:
- A tunnel already in the lock keeps its /31 and index. An explicitly pinned
  ``interface_address`` wins over the lock.
- New tunnels are served in a fixed order (site, device, tunnel name), so the result does not
  depend on the order of sites or devices in the file; each takes the lowest free /31 of the
  first pool with room (Cloudflare's side = the even address).
- Tunnels that left the inventory stay reserved and are reported as orphans until pruned.

Free space is tracked as a set of /31 base integers (never a growing netaddr ``IPSet``: each
``add`` walks the whole set; see reference/performance-notes.md). Pools are read with netaddr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface

import netaddr

from netgen.core.documents import PositionIndex
from netgen.core.errors import Diagnostic, Position, Severity
from netgen.inventory.model import Inventory, Tunnel
from netgen.state.lock import CloudflareFacts, LockFile, LockTunnel


class Status(StrEnum):
    NEW = "new"
    KEPT = "kept"
    CHANGED = "changed"  # pinned address differs from the lock
    ORPHANED = "orphaned"


@dataclass(frozen=True, slots=True)
class Assignment:
    """What the allocator decided for one tunnel."""

    tunnel: str
    interface_address: IPv4Interface  # Cloudflare's side, as sent to the API
    index: int
    status: Status


@dataclass
class Allocation:
    """Assignments for current tunnels, orphans, the new lock and any diagnostics."""

    assignments: dict[str, Assignment]
    orphans: dict[str, LockTunnel]
    lock: LockFile
    diagnostics: list[Diagnostic] = field(default_factory=list)
    changed: bool = False


def _pair_bases(iface: IPv4Interface) -> range:
    """The first address of every /31 pair the interface's network covers (ints: the
    network's own broadcast address is computed per object, and a fleet has one per tunnel)."""
    net = iface.network
    first = int(net.network_address)
    return range(first & ~1, first + (1 << (32 - net.prefixlen)), 2)


class _Pools:
    """Lowest-free-/31 search over the pools, skipping reserved pairs."""

    def __init__(self, pools: tuple[IPv4Interface, ...], used: set[int]) -> None:
        self.ranges: list[tuple[netaddr.IPNetwork, int, int]] = []
        for pool in pools:
            net = netaddr.IPNetwork(str(pool.network))
            if net.prefixlen <= 31:
                self.ranges.append((net, net.first, net.last))
        self.cursor = [r[1] for r in self.ranges]
        self.used = used

    def take(self) -> int | None:
        for i, (_net, _first, last) in enumerate(self.ranges):
            base = self.cursor[i]
            while base < last:
                if base not in self.used:
                    self.used.add(base)
                    self.cursor[i] = base + 2
                    return base
                base += 2
            self.cursor[i] = base
        return None

    def describe(self) -> str:
        return ", ".join(str(r[0]) for r in self.ranges) or "(none)"


def allocate(
    inv: Inventory, lock: LockFile, index: PositionIndex, *, prune: bool = False
) -> Allocation:
    """Assign every tunnel a /31 and a device-local index, keeping what the lock holds."""
    orphans = {n: t for n, t in lock.tunnels.items() if n not in inv.tunnels}
    kept_orphans = {} if prune else orphans
    used: set[int] = set()
    dev_indexes: dict[str, set[int]] = {}  # device -> used indexes (its orphans stay reserved)
    for orphan in kept_orphans.values():
        used.update(_pair_bases(orphan.interface_address))
        dev_indexes.setdefault(orphan.device, set()).add(orphan.index)
    order = sorted(inv.tunnels.values(), key=lambda t: (t.site, t.device, t.name))
    addresses, pending, diags = _fixed_addresses(order, lock, used, index)
    diags += _allocate_new(inv, pending, addresses, _Pools(inv.pools, used), index)
    assignments, new_entries = _assign_indexes(order, addresses, lock, dev_indexes)
    entries = {**new_entries, **kept_orphans}
    new_lock = LockFile.model_construct(netgen_lock=1, tunnels=dict(sorted(entries.items())))
    return Allocation(
        assignments=assignments,
        orphans=orphans,
        lock=new_lock,
        diagnostics=diags + _orphan_warnings(orphans, inv.file, prune),
        changed=new_lock != lock,
    )


Addresses = dict[str, tuple[IPv4Interface, Status]]


def _fixed_addresses(
    order: list[Tunnel], lock: LockFile, used: set[int], index: PositionIndex
) -> tuple[Addresses, list[Tunnel], list[Diagnostic]]:
    """Pass 1: pinned and locked addresses are fixed first, so new tunnels never take them.
    Returns the fixed addresses, the tunnels still needing one, and collisions (NG403)."""
    addresses: Addresses = {}
    pending: list[Tunnel] = []
    diags: list[Diagnostic] = []
    for t in order:
        entry = lock.tunnels.get(t.name)
        if t.pinned_address is not None:
            status = Status.NEW
            if entry is not None:
                same = entry.interface_address == t.pinned_address
                status = Status.KEPT if same else Status.CHANGED
            addresses[t.name] = (t.pinned_address, status)
        elif entry is not None:
            addresses[t.name] = (entry.interface_address, Status.KEPT)
        else:
            pending.append(t)
            continue
        bases = _pair_bases(addresses[t.name][0])
        if any(base in used for base in bases):
            diags.append(
                Diagnostic(
                    "NG403",
                    f"interface_address {addresses[t.name][0]} of {t.name} collides with an "
                    "address already held in the lock (possibly by an orphaned tunnel)",
                    position=index.position((*t.path, "interface_address")),
                    hint="pick another address, or release orphans with --prune",
                )
            )
        used.update(bases)
    return addresses, pending, diags


def _allocate_new(
    inv: Inventory,
    pending: list[Tunnel],
    addresses: Addresses,
    pools: _Pools,
    index: PositionIndex,
) -> list[Diagnostic]:
    """Pass 2: the lowest free /31 of the first pool with room, in the tunnels' fixed order."""
    missing = 0
    for t in pending:
        taken = pools.take()
        if taken is None:
            missing += 1
            continue
        addresses[t.name] = (IPv4Interface(f"{IPv4Address(taken)}/31"), Status.NEW)
    if not missing:
        return []
    pos = index.position(("cloudflare", "interface_pool"))
    if not inv.pools:
        return [
            Diagnostic(
                "NG405",
                f"{missing} tunnel(s) need an interface address "
                "but cloudflare.interface_pool is empty",
                position=pos,
                hint="add a pool such as 10.252.0.0/24, or pin interface_address on each tunnel",
            )
        ]
    return [
        Diagnostic(
            "NG401",
            f"interface pool {pools.describe()} exhausted: {missing} more /31 pair(s) needed",
            position=pos,
            hint="add a pool or enlarge the existing one",
        )
    ]


def _same_entry(old: LockTunnel, t: Tunnel, iface: IPv4Interface, index: int) -> bool:
    """The lock's entry already says everything the new one would."""
    return (
        old.index == index
        and old.interface_address == iface
        and (old.site, old.device, old.wan, old.endpoint, old.generated)
        == (t.site, t.device, t.wan, t.endpoint, t.generated)
    )


def _assign_indexes(
    order: list[Tunnel],
    addresses: Addresses,
    lock: LockFile,
    dev_indexes: dict[str, set[int]],
) -> tuple[dict[str, Assignment], dict[str, LockTunnel]]:
    """Device-local indexes: kept from the lock when the tunnel stays on its device."""
    chosen: dict[str, int] = {}
    for t in order:
        entry = lock.tunnels.get(t.name)
        taken = dev_indexes.setdefault(t.device, set())
        if entry is not None and entry.device == t.device and entry.index not in taken:
            chosen[t.name] = entry.index
            taken.add(entry.index)
    for t in order:
        if t.name in chosen:
            continue
        taken = dev_indexes[t.device]
        n = 0
        while n in taken:
            n += 1
        taken.add(n)
        chosen[t.name] = n
    assignments: dict[str, Assignment] = {}
    entries: dict[str, LockTunnel] = {}
    for t in order:
        if t.name not in addresses:
            continue  # pool exhausted: already reported
        iface, status = addresses[t.name]
        old = lock.tunnels.get(t.name)
        if status is Status.KEPT and old is not None and old.index != chosen[t.name]:
            status = Status.CHANGED
        assignments[t.name] = Assignment(t.name, iface, chosen[t.name], status)
        if old is not None and _same_entry(old, t, iface, chosen[t.name]):
            entries[t.name] = old  # the lock's own (frozen) model: nothing to build again
            continue
        facts: CloudflareFacts | None = old.cloudflare if old is not None else None
        # model_construct: every value is already typed and checked (no re-validation per tunnel)
        entries[t.name] = LockTunnel.model_construct(
            site=t.site,
            device=t.device,
            wan=t.wan,
            endpoint=t.endpoint,
            generated=t.generated,
            interface_address=iface,
            index=chosen[t.name],
            cloudflare=facts,
        )
    return assignments, entries


def _orphan_warnings(orphans: dict[str, LockTunnel], file: str, prune: bool) -> list[Diagnostic]:
    out = []
    for name, entry in sorted(orphans.items()):
        verb = "released (--prune)" if prune else "still reserved"
        out.append(
            Diagnostic(
                "NG404",
                f"tunnel {name} ({entry.device}, {entry.interface_address}) is in the lock but not "
                f"in the inventory: {verb}",
                Severity.WARNING,
                Position(file),
                None
                if prune
                else "run `netgen plan --write-lock --prune` once it is deleted at Cloudflare",
            )
        )
    return out
