"""Cloudflare's rules (and the ones it would accept but that break a tunnel) as named checks.

Each check takes the resolved inventory and yields diagnostics; :func:`run_checks` runs them all
so a user sees every problem in one pass. This module holds the rules about names, endpoints,
WAN addresses and references; :mod:`netgen.inventory.tunnel_rules` those about each tunnel.
Sources: reference/cloudflare.md §2-§5; limits from :mod:`netgen.cloudflare.facts`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from ipaddress import IPv4Address

from netgen.cloudflare import facts
from netgen.cloudflare.addressing import (
    public_unicast_problem,
)
from netgen.core.documents import PathKey, PositionIndex
from netgen.core.errors import Diagnostic, shown
from netgen.inventory.findings import Check, diag
from netgen.inventory.model import Inventory
from netgen.inventory.tunnel_rules import (
    check_health_checks,
    check_interface_addresses,
    check_ipsec,
    check_mtu_mss_ttl,
    check_pools,
    check_redundancy,
)

TUNNEL_NAME = re.compile(facts.TUNNEL_NAME_PATTERN)


def check_tunnel_names(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Names: at most 15 characters, letters, digits and underscore, unique in the account."""
    for t in inv.tunnels.values():
        if not TUNNEL_NAME.fullmatch(t.name):
            yield diag(
                index,
                (*t.path, "name") if not t.generated else t.path,
                "NG301",
                f"tunnel name {shown(t.name)} must be 1-{facts.TUNNEL_NAME_MAX} letters, digits "
                "or underscores",
                "Cloudflare rejects longer names and special characters; shorten it",
            )
    for message, path in inv.name_problems:
        yield diag(
            index,
            path,
            "NG304",
            message,
            "set a short `tunnel_prefix` on the site (letters and digits, at most 8), or name "
            "the tunnel explicitly",
        )
    for name, path, first in inv.duplicate_tunnels:
        where = index.mention(first, (*path, "name"))
        yield diag(
            index,
            (*path, "name"),
            "NG302",
            f"tunnel name {name!r} is already used ({where})",
            "tunnel names must be unique across the whole account",
        )


def check_unique_names(inv: Inventory, index: PositionIndex) -> Iterator[Diagnostic]:
    """Sites and devices are unique inventory-wide (they name output files); links per device."""
    sites: dict[str, PathKey] = {}
    devices: dict[str, PathKey] = {}
    for site in inv.sites:
        if site.name in sites:
            where = index.mention((*sites[site.name], "name"), (*site.path, "name"))
            yield diag(
                index,
                (*site.path, "name"),
                "NG303",
                f"site name {site.name!r} is used twice (also on {where})",
                "rename one of the sites",
            )
        sites.setdefault(site.name, site.path)
        for dev in site.devices:
            if dev.name in devices:
                where = index.mention((*devices[dev.name], "name"), (*dev.path, "name"))
                yield diag(
                    index,
                    (*dev.path, "name"),
                    "NG303",
                    f"device name {dev.name!r} is used twice (also on {where})",
                    "device names must be unique across the inventory",
                )
            devices.setdefault(dev.name, dev.path)
            seen: set[str] = set()
            for link in dev.wan:
                if link.name in seen:
                    yield diag(
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
            yield diag(
                index,
                (*ep.path, "name"),
                "NG330",
                f"endpoint name {ep.name!r} is used twice",
                "rename one endpoint",
            )
        if ep.address in addrs:
            yield diag(
                index,
                (*ep.path, "address"),
                "NG331",
                f"endpoint address {ep.address} is listed twice",
                "each Cloudflare Anycast endpoint appears once",
            )
        problem = public_unicast_problem(ep.address)
        if problem:
            yield diag(
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
                yield diag(
                    index,
                    (*link.path, "address"),
                    "NG320",
                    f"WAN address {link.address} of {dev.name}/{link.name} is {problem}",
                    "give the public address the tunnel is sourced from (behind NAT: "
                    "the public address after NAT)",
                )
            for prefix in inv.advertised_prefixes:
                if link.address in prefix:
                    yield diag(
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
            yield diag(
                index,
                (*t.path, "wan"),
                "NG340",
                f"tunnel {t.name} uses WAN link {t.wan!r}, which {t.device} does not have",
                f"use one of: {names}",
            )
        if inv.endpoint(t.endpoint) is None:
            names = ", ".join(e.name for e in inv.endpoints)
            yield diag(
                index,
                (*t.path, "endpoint"),
                "NG341",
                f"tunnel {t.name} uses unknown endpoint {t.endpoint!r}",
                f"use one of: {names}",
            )
        key = (t.device, t.wan, t.endpoint)
        if key in used:
            yield diag(
                index,
                t.path,
                "NG342",
                f"tunnels {used[key]} and {t.name} both run from {t.device}/{t.wan} to "
                f"{t.endpoint}",
                "one tunnel per WAN link and endpoint; routers cannot "
                "tell two tunnels with the same outer addresses apart",
            )
        used.setdefault(key, t.name)


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
