"""Address rules shared by checks, allocation, payloads and plans.

:func:`tunnel_sides` is the ONE place that decides which host of a tunnel subnet is
Cloudflare's and which is the customer's.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Final

from netgen.cloudflare import facts

DOCUMENTATION_RANGES: Final = tuple(
    IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


@dataclass(frozen=True, slots=True)
class TunnelSides:
    """Both ends of a tunnel subnet."""

    network: IPv4Network
    cloudflare: IPv4Address
    customer: IPv4Address

    @property
    def prefixlen(self) -> int:
        return self.network.prefixlen

    @property
    def cloudflare_interface(self) -> IPv4Interface:
        """What Cloudflare's API calls ``interface_address``."""
        return IPv4Interface(f"{self.cloudflare}/{self.prefixlen}")

    @property
    def customer_interface(self) -> IPv4Interface:
        """The router's own address on the tunnel interface."""
        return IPv4Interface(f"{self.customer}/{self.prefixlen}")


def tunnel_sides(interface_address: IPv4Interface) -> TunnelSides:
    """Split Cloudflare's ``interface_address`` into Cloudflare's and the customer's host.

    The address given is Cloudflare's side; the customer gets the other address of the /31, or
    the other usable host of the /30 (Cloudflare docs, tunnel-health-checks "Interface address
    ranges": 10.100.0.8/31 → customer 10.100.0.9; 10.100.0.9/30 → customer 10.100.0.10).
    """
    net = interface_address.network
    cf = interface_address.ip
    base = int(net.network_address)
    if net.prefixlen == 31:
        customer = IPv4Address(base + (1 - (int(cf) - base)))
    elif net.prefixlen == 30:
        offset = int(cf) - base
        if offset not in (1, 2):
            raise ValueError(f"{interface_address} is not a usable host of its /30")
        customer = IPv4Address(base + (3 - offset))
    else:
        raise ValueError(f"{interface_address} must be a /31 or /30")
    return TunnelSides(net, cf, customer)


def in_allowed_range(net: IPv4Network) -> bool:
    """Inside one of Cloudflare's interface address ranges (facts.INTERFACE_RANGES)."""
    return any(net.subnet_of(r) for r in facts.INTERFACE_RANGES)


def public_unicast_problem(addr: IPv4Address) -> str | None:
    """Why ``addr`` cannot be a public tunnel endpoint, or None if it can.

    The documentation ranges are accepted so examples and tests never use real addresses.
    """
    if any(addr in r for r in DOCUMENTATION_RANGES):
        return None
    for test, label in (
        (addr.is_unspecified, "unspecified"),
        (addr.is_loopback, "loopback"),
        (addr.is_link_local, "link-local"),
        (addr.is_multicast, "multicast"),
        (addr.is_reserved, "reserved"),
        (addr.is_private, "private"),
        (addr == IPv4Address("255.255.255.255"), "broadcast"),
    ):
        if test:
            return label
    if not addr.is_global:
        return "not globally routable"
    return None
