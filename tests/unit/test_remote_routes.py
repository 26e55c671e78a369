"""Per-site routes to the other sites' LANs (integer arithmetic) against netaddr's IPSet."""

from __future__ import annotations

import random
from ipaddress import IPv4Network
from types import SimpleNamespace
from typing import Any

import netaddr

from netgen.plan.model import merge_cidrs, route_texts, site_remote_prefixes


def reference(sites: list[Any], name: str) -> list[tuple[str, str, str, str]]:
    """The other sites' LAN prefixes (they never overlap), merged into the fewest CIDRs."""
    others = netaddr.IPSet(str(p) for s in sites if s.name != name for p in s.lan_prefixes)
    return [route_texts(IPv4Network(str(c))) for c in others.iter_cidrs()]


def test_matches_netaddr_on_random_fleets() -> None:
    rng = random.Random(15)
    for _ in range(60):
        taken: list[IPv4Network] = []
        sites = []
        for i in range(rng.randint(1, 8)):
            prefixes = []
            for _ in range(rng.randint(0, 3)):
                length = rng.randint(16, 30)
                base = rng.choice([0x0A000000, 0x0A010000, 0xC0A80000]) + rng.randrange(1 << 16)
                net = IPv4Network((base & (0xFFFFFFFF << (32 - length)), length))
                if not any(net.overlaps(t) for t in taken):
                    taken.append(net)
                    prefixes.append(net)
            sites.append(SimpleNamespace(name=f"s{i}", lan_prefixes=tuple(prefixes)))
        got = site_remote_prefixes(SimpleNamespace(sites=tuple(sites)))  # type: ignore[arg-type]
        for site in sites:
            assert got[site.name] == reference(sites, site.name), site


def test_merge_cidrs_is_netaddrs_cidr_merge() -> None:
    rng = random.Random(7)
    for _ in range(300):
        nets = []
        for _ in range(rng.randint(0, 12)):
            length = rng.randint(0, 32)
            base = rng.randrange(1 << 32) & ((0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF)
            nets.append((base, length))
        expected = [
            (int(n.first), n.prefixlen)
            for n in netaddr.cidr_merge([f"{netaddr.IPAddress(b)}/{n}" for b, n in nets])
        ]
        assert merge_cidrs(nets) == expected, nets
