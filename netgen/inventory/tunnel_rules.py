"""Inventory rules about each tunnel: its interface address and the pools, MTU/MSS/TTL,
health checks, IPsec suites and identities, and redundancy (warnings). Sources:
reference/cloudflare.md §2-§5; the limits come from netgen.cloudflare.facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from ipaddress import IPv4Address
from itertools import pairwise

from netgen.cloudflare import facts
from netgen.cloudflare.addressing import (
    in_allowed_range,
    tunnel_sides,
)
from netgen.cloudflare.crypto import suite_problems
from netgen.core.documents import PathKey, PositionIndex
from netgen.core.errors import Diagnostic
from netgen.inventory.findings import diag
from netgen.inventory.model import Inventory, Tunnel


def check_interface_addresses(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Pinned /31 (or /30) addresses: allowed ranges, usable host, no overlaps."""
    spans: list[tuple[int, int, str, PathKey]] = []
    lans = [(p, s.name) for s in inv.sites for p in s.lan_prefixes]
    for t in inv.tunnels.values():
        addr = t.pinned_address
        if addr is None:
            continue
        path = (*t.path, "interface_address")
        net = addr.network
        if net.prefixlen not in (30, 31):
            yield diag(
                index,
                path,
                "NG310",
                f"interface_address {addr} of {t.name} must be a /31 (or a /30)",
                "Cloudflare uses a /31 per tunnel; write e.g. 10.252.0.8/31",
            )
            continue
        if not in_allowed_range(net):
            yield diag(
                index,
                path,
                "NG311",
                f"interface_address {addr} of {t.name} is outside {facts.INTERFACE_RANGES_TEXT}",
                "pick an address from the allowed ranges, or drop it to allocate one",
            )
        try:
            tunnel_sides(addr)
        except ValueError:
            yield diag(
                index,
                path,
                "NG312",
                f"interface_address {addr} of {t.name} is the network or broadcast "
                "address of its /30",
                "give Cloudflare's host address (.1 or .2 of the /30)",
            )
        for lan, site in lans:
            if net.overlaps(lan):
                yield diag(
                    index,
                    path,
                    "NG314",
                    f"interface_address {addr} of {t.name} overlaps LAN prefix {lan} "
                    f"of site {site}",
                    "tunnel addresses must not overlap any LAN",
                )
        spans.append((int(net.network_address), int(net.broadcast_address), t.name, path))
    yield from _overlaps(spans, index, "NG313", "interface_address")


def _overlaps(
    spans: list[tuple[int, int, str, PathKey]], index: PositionIndex, code: str, what: str
) -> Iterator[Diagnostic]:
    spans.sort()
    reach: tuple[int, int, str, PathKey] | None = None
    for span in spans:
        if reach is not None and span[0] <= reach[1]:
            yield diag(
                index,
                span[3],
                code,
                f"{what} of {span[2]} overlaps {reach[2]}",
                "every tunnel needs its own subnet",
            )
        if reach is None or span[1] > reach[1]:
            reach = span


def check_pools(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Pools: real networks inside the allowed ranges, no overlap with each other or a LAN."""
    spans: list[tuple[int, int, str, PathKey]] = []
    for i, pool in enumerate(inv.pools):
        path: PathKey = ("cloudflare", "interface_pool", i)
        net = pool.network
        if pool.ip != net.network_address:
            yield diag(
                index,
                path,
                "NG312",
                f"interface pool {pool} has host bits set",
                f"write the network address: {net}",
            )
        if not in_allowed_range(net):
            yield diag(
                index,
                path,
                "NG315",
                f"interface pool {net} is outside {facts.INTERFACE_RANGES_TEXT}",
                "Cloudflare only accepts tunnel addresses from these ranges",
            )
        if net.prefixlen > 31:
            yield diag(
                index,
                path,
                "NG310",
                f"interface pool {net} is too small for a /31",
                "use a /31 or larger network",
            )
        for site in inv.sites:
            for lan in site.lan_prefixes:
                if net.overlaps(lan):
                    yield diag(
                        index,
                        path,
                        "NG314",
                        f"interface pool {net} overlaps LAN prefix {lan} of {site.name}",
                        "pick a pool no site uses",
                    )
        spans.append((int(net.network_address), int(net.broadcast_address), str(net), path))
    spans.sort()
    for a, b in pairwise(spans):
        if b[0] <= a[1]:
            yield diag(
                index,
                b[3],
                "NG316",
                f"interface pool {b[2]} overlaps pool {a[2]}",
                "merge or separate the pools",
            )


def check_mtu_mss_ttl(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """MTU, MSS (at most the type's maximum and MTU-40) and TTL inside Cloudflare's limits.

    One message per offending line, naming every tunnel that line sets; an MSS left unset
    follows the MTU, so only an MSS someone wrote can be out of range on its own.
    """
    found: dict[tuple[str, PathKey, str, str], list[str]] = {}
    for t in inv.tunnels.values():
        for code, path, message, hint in _size_problems(t):
            found.setdefault((code, path, message, hint), []).append(t.name)
    for (code, path, message, hint), names in found.items():
        which = f"tunnel {names[0]}" if len(names) == 1 else f"tunnels {', '.join(sorted(names))}"
        yield diag(index, path, code, message.format(tunnels=which), hint)


def _size_problems(t: Tunnel) -> Iterator[tuple[str, PathKey, str, str]]:
    s = t.settings
    kind = facts.TUNNEL_KIND[s.tunnel_type]
    low, high = facts.MTU_MIN, facts.MTU_MAX[s.tunnel_type]
    mtu_ok = low <= s.mtu <= high
    if not mtu_ok:
        yield (
            "NG350",
            t.origin("mtu"),
            f"MTU {s.mtu} of {s.tunnel_type} {{tunnels}} is outside {low}..{high}",
            f"Cloudflare's {kind} MTU is at most {high}; leave mtu unset for the default",
        )
    limit = min(facts.MSS_MAX[s.tunnel_type], s.mtu - facts.MSS_HEADER_BYTES)
    mss_set = any(name == "mss" for name, _ in t.origins)
    if (mss_set or mtu_ok) and not facts.MSS_MIN <= s.mss <= limit:
        yield (
            "NG351",
            t.origin("mss"),
            f"MSS {s.mss} of {{tunnels}} must be {facts.MSS_MIN}..{limit} (at most "
            f"{facts.MSS_MAX[s.tunnel_type]} for {s.tunnel_type}, and MTU {s.mtu} - 40)",
            "leave mss unset: it follows the MTU",
        )
    if not facts.TTL_MIN <= s.ttl <= facts.TTL_MAX:
        yield (
            "NG352",
            t.origin("ttl"),
            f"TTL {s.ttl} of {{tunnels}} is outside {facts.TTL_MIN}..{facts.TTL_MAX}",
            f"leave ttl unset ({facts.TTL_DEFAULT})",
        )


def check_health_checks(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """``target`` only with unidirectional; custom targets in the legacy health-check range."""
    seen: set[PathKey] = set()
    for t in inv.tunnels.values():
        hc = t.settings.health_check
        if hc.target is None:
            continue
        path = t.origin("health_check.target")
        if path in seen:
            continue
        seen.add(path)
        if hc.direction != "unidirectional":
            yield diag(
                index,
                path,
                "NG360",
                f"health_check.target is set on {t.name} but direction is {hc.direction}",
                "a target is only used with direction: unidirectional; remove it or "
                "set the direction",
            )
        if hc.target not in facts.LEGACY_HEALTH_CHECK_RANGE:
            yield diag(
                index,
                path,
                "NG361",
                f"health_check.target {hc.target} is outside {facts.LEGACY_HEALTH_CHECK_RANGE}",
                f"custom (legacy) targets must be in {facts.LEGACY_HEALTH_CHECK_RANGE}, e.g. "
                f"{facts.LEGACY_HEALTH_CHECK_RANGE[1]}; leave target unset for the default",
            )


def check_ipsec(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Crypto suites within Cloudflare's set, lifetimes, and IPv4 local identities."""
    devices = {d.name: d for d in inv.devices()}
    pairs: dict[tuple[str, IPv4Address], list[Tunnel]] = defaultdict(list)
    seen: set[PathKey] = set()
    for t in inv.tunnels.values():
        if t.settings.tunnel_type != "ipsec":
            continue
        ipsec = t.settings.ipsec
        cpath = t.origin("ipsec.crypto")
        if cpath not in seen:
            seen.add(cpath)
            for _field, message in suite_problems(ipsec.crypto):
                yield diag(
                    index,
                    cpath,
                    "NG372",
                    f"{message} (tunnel {t.name})",
                    "use crypto: cloudflare-gcm or cloudflare-cbc, or only the "
                    "algorithms Cloudflare lists",
                )
            for label, value, (low, high) in (
                ("ike_lifetime", ipsec.crypto.ike_lifetime, facts.IKE_LIFETIME_RANGE),
                ("child_lifetime", ipsec.crypto.child_lifetime, facts.CHILD_LIFETIME_RANGE),
            ):
                if not low <= value <= high:
                    yield diag(
                        index,
                        cpath,
                        "NG373",
                        f"{label} {value} is outside {low}..{high} seconds",
                        "Cloudflare recommends a child SA lifetime of {}..{} s".format(
                            *facts.CHILD_LIFETIME_RECOMMENDED
                        ),
                    )
        dev = devices.get(t.device)
        link = dev.wan_link(t.wan) if dev else None
        if link is not None:
            pairs[(t.endpoint, link.address)].append(t)
        if ipsec.local_id == "ipv4" and link is not None and link.behind_nat:
            yield diag(
                index,
                t.origin("ipsec.local_id"),
                "NG370",
                f"tunnel {t.name} uses local_id ipv4 but {t.device}/{t.wan} is behind NAT",
                "use local_id: fqdn (the default) behind NAT",
            )
    for (endpoint, addr), group in pairs.items():
        if len(group) > 1:
            for t in group:
                if t.settings.ipsec.local_id == "ipv4":
                    yield diag(
                        index,
                        t.origin("ipsec.local_id"),
                        "NG371",
                        f"tunnel {t.name} uses local_id ipv4 but {len(group)} IPsec "
                        f"tunnels share endpoint {endpoint} and WAN address {addr}",
                        "Cloudflare can only tell them apart by FQDN/user ID: use local_id: fqdn",
                    )


def check_redundancy(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Warnings: a link with only one tunnel; a device reaching only one endpoint."""
    per_link: dict[tuple[str, str], int] = defaultdict(int)
    per_device: dict[str, set[str]] = defaultdict(set)
    for t in inv.tunnels.values():
        per_link[(t.device, t.wan)] += 1
        per_device[t.device].add(t.endpoint)
    for dev in inv.devices():
        for link in dev.wan:
            if per_link.get((dev.name, link.name), 0) == 1:
                yield diag(
                    index,
                    link.path,
                    "NG380",
                    f"{dev.name}/{link.name} has only one tunnel",
                    "Cloudflare recommends two tunnels per ISP link, one per endpoint",
                    warning=True,
                )
        if len(per_device.get(dev.name, ())) == 1:
            yield diag(
                index,
                dev.path,
                "NG381",
                f"{dev.name} has tunnels to only one Cloudflare endpoint",
                "add a tunnel to a second endpoint for redundancy",
                warning=True,
            )
