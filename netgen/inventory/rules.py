"""Cloudflare's rules (and the ones it would accept but that break a tunnel) as named checks.

Each check takes the resolved inventory and yields diagnostics; :func:`run_checks` runs them all
so a user sees every problem in one pass. Sources: reference/cloudflare.md §2-§5.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address
from itertools import pairwise

from netgen.cloudflare import facts
from netgen.cloudflare.addressing import (
    in_allowed_range,
    public_unicast_problem,
    tunnel_sides,
)
from netgen.cloudflare.crypto import CHILD_LIFETIME_RANGE, IKE_LIFETIME_RANGE, suite_problems
from netgen.core.documents import PathKey, PositionIndex
from netgen.core.errors import Diagnostic, Severity, shown
from netgen.inventory.model import Inventory, Tunnel

TUNNEL_NAME = re.compile(facts.TUNNEL_NAME_PATTERN)
KIND = facts.TUNNEL_KIND
ALLOWED_TEXT = facts.INTERFACE_RANGES_TEXT

Check = Callable[[Inventory, PositionIndex], Iterator[Diagnostic]]


def _diag(
    index: PositionIndex,
    path: PathKey,
    code: str,
    message: str,
    hint: str | None = None,
    *,
    warning: bool = False,
) -> Diagnostic:
    return Diagnostic(
        code, message, Severity.WARNING if warning else Severity.ERROR, index.position(path), hint
    )


def check_tunnel_names(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Names: at most 15 characters, letters, digits and underscore, unique in the account."""
    for t in inv.tunnels.values():
        if not TUNNEL_NAME.fullmatch(t.name):
            yield _diag(
                index,
                (*t.path, "name") if not t.generated else t.path,
                "NG301",
                f"tunnel name {shown(t.name)} must be 1-{facts.TUNNEL_NAME_MAX} letters, digits "
                "or underscores",
                "Cloudflare rejects longer names and special characters; shorten it",
            )
    for name, path, first in inv.duplicate_tunnels:
        line = index.position(first).line
        yield _diag(
            index,
            (*path, "name"),
            "NG302",
            f"tunnel name {name!r} is already used (line {line})",
            "tunnel names must be unique across the whole account",
        )


def check_unique_names(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Sites and devices are unique inventory-wide (they name output files); links per device."""
    sites: dict[str, PathKey] = {}
    devices: dict[str, PathKey] = {}
    for site in inv.sites:
        if site.name in sites:
            yield _diag(
                index,
                (*site.path, "name"),
                "NG303",
                f"site name {site.name!r} is used twice",
                "rename one of the sites",
            )
        sites.setdefault(site.name, site.path)
        for dev in site.devices:
            if dev.name in devices:
                yield _diag(
                    index,
                    (*dev.path, "name"),
                    "NG303",
                    f"device name {dev.name!r} is used twice",
                    "device names must be unique across the inventory",
                )
            devices.setdefault(dev.name, dev.path)
            seen: set[str] = set()
            for link in dev.wan:
                if link.name in seen:
                    yield _diag(
                        index,
                        (*link.path, "name"),
                        "NG303",
                        f"WAN link name {link.name!r} is used twice on {dev.name}",
                        "rename one of the links",
                    )
                seen.add(link.name)


def check_endpoints(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Endpoints: unique names and addresses, public unicast."""
    names: set[str] = set()
    addrs: set[IPv4Address] = set()
    for ep in inv.endpoints:
        if ep.name in names:
            yield _diag(
                index,
                (*ep.path, "name"),
                "NG330",
                f"endpoint name {ep.name!r} is used twice",
                "rename one endpoint",
            )
        if ep.address in addrs:
            yield _diag(
                index,
                (*ep.path, "address"),
                "NG331",
                f"endpoint address {ep.address} is listed twice",
                "each Cloudflare Anycast endpoint appears once",
            )
        problem = public_unicast_problem(ep.address)
        if problem:
            yield _diag(
                index,
                (*ep.path, "address"),
                "NG332",
                f"endpoint address {ep.address} is {problem}",
                "use the Anycast addresses Cloudflare assigned to the account",
            )
        names.add(ep.name)
        addrs.add(ep.address)


def check_wan_addresses(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Customer endpoints: public unicast IPv4 outside the advertised prefixes."""
    for dev in inv.devices():
        for link in dev.wan:
            problem = public_unicast_problem(link.address)
            if problem:
                yield _diag(
                    index,
                    (*link.path, "address"),
                    "NG320",
                    f"WAN address {link.address} of {dev.name}/{link.name} is {problem}",
                    "give the public address the tunnel is sourced from (behind NAT: "
                    "the public address after NAT)",
                )
            for prefix in inv.advertised_prefixes:
                if link.address in prefix:
                    yield _diag(
                        index,
                        (*link.path, "address"),
                        "NG321",
                        f"WAN address {link.address} is inside advertised prefix {prefix}",
                        "tunnel endpoints must be outside the prefixes Cloudflare "
                        "advertises for you",
                    )


def check_references(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """A tunnel's ``wan`` and ``endpoint`` exist; one tunnel per (device, link, endpoint)."""
    devices = {d.name: d for d in inv.devices()}
    used: dict[tuple[str, str, str], str] = {}
    for t in inv.tunnels.values():
        dev = devices.get(t.device)
        if dev is not None and dev.wan_link(t.wan) is None:
            names = ", ".join(w.name for w in dev.wan)
            yield _diag(
                index,
                (*t.path, "wan"),
                "NG340",
                f"tunnel {t.name} uses WAN link {t.wan!r}, which {t.device} does not have",
                f"use one of: {names}",
            )
        if inv.endpoint(t.endpoint) is None:
            names = ", ".join(e.name for e in inv.endpoints)
            yield _diag(
                index,
                (*t.path, "endpoint"),
                "NG341",
                f"tunnel {t.name} uses unknown endpoint {t.endpoint!r}",
                f"use one of: {names}",
            )
        key = (t.device, t.wan, t.endpoint)
        if key in used and not t.generated:
            yield _diag(
                index,
                t.path,
                "NG342",
                f"tunnels {used[key]} and {t.name} both run from {t.device}/{t.wan} to "
                f"{t.endpoint}",
                "one tunnel per WAN link and endpoint; routers cannot "
                "tell two tunnels with the same outer addresses apart",
            )
        used.setdefault(key, t.name)


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
            yield _diag(
                index,
                path,
                "NG310",
                f"interface_address {addr} of {t.name} must be a /31 (or a /30)",
                "Cloudflare uses a /31 per tunnel; write e.g. 10.252.0.8/31",
            )
            continue
        if not in_allowed_range(net):
            yield _diag(
                index,
                path,
                "NG311",
                f"interface_address {addr} of {t.name} is outside {ALLOWED_TEXT}",
                "pick an address from the allowed ranges, or drop it to allocate one",
            )
        try:
            tunnel_sides(addr)
        except ValueError:
            yield _diag(
                index,
                path,
                "NG312",
                f"interface_address {addr} of {t.name} is the network or broadcast "
                "address of its /30",
                "give Cloudflare's host address (.1 or .2 of the /30)",
            )
        for lan, site in lans:
            if net.overlaps(lan):
                yield _diag(
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
            yield _diag(
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
            yield _diag(
                index,
                path,
                "NG312",
                f"interface pool {pool} has host bits set",
                f"write the network address: {net}",
            )
        if not in_allowed_range(net):
            yield _diag(
                index,
                path,
                "NG315",
                f"interface pool {net} is outside {ALLOWED_TEXT}",
                "Cloudflare only accepts tunnel addresses from these ranges",
            )
        if net.prefixlen > 31:
            yield _diag(
                index,
                path,
                "NG310",
                f"interface pool {net} is too small for a /31",
                "use a /31 or larger network",
            )
        for site in inv.sites:
            for lan in site.lan_prefixes:
                if net.overlaps(lan):
                    yield _diag(
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
            yield _diag(
                index,
                b[3],
                "NG316",
                f"interface pool {b[2]} overlaps pool {a[2]}",
                "merge or separate the pools",
            )


def check_mtu_mss_ttl(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """MTU, MSS (at most the type's maximum and MTU-40) and TTL inside Cloudflare's limits."""
    seen: set[tuple[PathKey, str, int, int, int]] = set()
    for t in inv.tunnels.values():
        s = t.settings
        low, high = facts.MTU_MIN, facts.MTU_MAX[s.tunnel_type]
        key = (t.origin("mtu"), s.tunnel_type, s.mtu, s.mss, s.ttl)
        if key in seen:  # one message per offending line, not per generated tunnel
            continue
        seen.add(key)
        if not low <= s.mtu <= high:
            yield _diag(
                index,
                t.origin("mtu"),
                "NG350",
                f"MTU {s.mtu} of {s.tunnel_type} tunnel {t.name} is outside {low}..{high}",
                f"Cloudflare's {KIND[s.tunnel_type]} MTU is at most {high}; "
                "leave mtu unset for the default",
            )
        limit = min(facts.MSS_MAX[s.tunnel_type], s.mtu - facts.MSS_HEADER_BYTES)
        if not facts.MSS_MIN <= s.mss <= limit:
            yield _diag(
                index,
                t.origin("mss"),
                "NG351",
                f"MSS {s.mss} of tunnel {t.name} must be {facts.MSS_MIN}..{limit} "
                f"(at most {facts.MSS_MAX[s.tunnel_type]} for {s.tunnel_type}, and MTU-40)",
                "leave mss unset for the default",
            )
        if not facts.TTL_MIN <= s.ttl <= facts.TTL_MAX:
            yield _diag(
                index,
                t.origin("ttl"),
                "NG352",
                f"TTL {s.ttl} of tunnel {t.name} is outside {facts.TTL_MIN}..{facts.TTL_MAX}",
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
            yield _diag(
                index,
                path,
                "NG360",
                f"health_check.target is set on {t.name} but direction is {hc.direction}",
                "a target is only used with direction: unidirectional; remove it or "
                "set the direction",
            )
        if hc.target not in facts.LEGACY_HEALTH_CHECK_RANGE:
            yield _diag(
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
                yield _diag(
                    index,
                    cpath,
                    "NG372",
                    f"{message} (tunnel {t.name})",
                    "use crypto: cloudflare-gcm or cloudflare-cbc, or only the "
                    "algorithms Cloudflare lists",
                )
            for label, value, (low, high) in (
                ("ike_lifetime", ipsec.crypto.ike_lifetime, IKE_LIFETIME_RANGE),
                ("child_lifetime", ipsec.crypto.child_lifetime, CHILD_LIFETIME_RANGE),
            ):
                if not low <= value <= high:
                    yield _diag(
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
            yield _diag(
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
                    yield _diag(
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
                yield _diag(
                    index,
                    link.path,
                    "NG380",
                    f"{dev.name}/{link.name} has only one tunnel",
                    "Cloudflare recommends two tunnels per ISP link, one per endpoint",
                    warning=True,
                )
        if len(per_device.get(dev.name, ())) == 1:
            yield _diag(
                index,
                dev.path,
                "NG381",
                f"{dev.name} has tunnels to only one Cloudflare endpoint",
                "add a tunnel to a second endpoint for redundancy",
                warning=True,
            )


ALL_CHECKS: tuple[Check, ...] = (
    check_tunnel_names,
    check_unique_names,
    check_endpoints,
    check_wan_addresses,
    check_references,
    check_interface_addresses,
    check_pools,
    check_mtu_mss_ttl,
    check_health_checks,
    check_ipsec,
    check_redundancy,
)


def run_checks(inv: Inventory, index: PositionIndex) -> list[Diagnostic]:
    """Every check, every finding (errors and warnings)."""
    out: list[Diagnostic] = []
    for check in ALL_CHECKS:
        out.extend(check(inv, index))
    return out
