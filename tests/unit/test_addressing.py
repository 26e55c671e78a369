"""Which side of a tunnel subnet is Cloudflare's, and which addresses may be endpoints."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

import pytest

from netgen.cloudflare.addressing import in_allowed_range, public_unicast_problem, tunnel_sides


@pytest.mark.parametrize(
    ("given", "cloudflare", "customer"),
    [
        ("10.100.0.8/31", "10.100.0.8", "10.100.0.9"),  # Cloudflare docs' example
        ("10.100.0.9/31", "10.100.0.9", "10.100.0.8"),  # the given host is always Cloudflare's
        ("10.100.0.9/30", "10.100.0.9", "10.100.0.10"),  # /30: the other usable host
        ("10.100.0.10/30", "10.100.0.10", "10.100.0.9"),
        ("169.254.240.0/31", "169.254.240.0", "169.254.240.1"),
    ],
)
def test_the_given_address_is_cloudflares_side(given: str, cloudflare: str, customer: str) -> None:
    sides = tunnel_sides(IPv4Interface(given))
    assert str(sides.cloudflare) == cloudflare
    assert str(sides.customer) == customer
    assert sides.customer_interface.network == IPv4Interface(given).network


@pytest.mark.parametrize("bad", ["10.100.0.8/30", "10.100.0.11/30", "10.100.0.8/29"])
def test_unusable_hosts_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"/30|/31"):
        tunnel_sides(IPv4Interface(bad))


@pytest.mark.parametrize(
    ("net", "ok"),
    [
        ("10.1.0.0/16", True),
        ("172.31.255.254/31", True),
        ("192.168.7.0/24", True),
        ("169.254.240.0/20", True),
        ("169.254.239.254/31", False),
        ("172.32.0.0/31", False),
        ("100.64.0.0/31", False),
        ("0.0.0.0/0", False),
    ],
)
def test_allowed_interface_ranges(net: str, ok: bool) -> None:
    assert in_allowed_range(IPv4Network(net)) is ok


@pytest.mark.parametrize(
    ("addr", "problem"),
    [
        ("192.0.2.1", None),
        ("198.51.100.7", None),
        ("203.0.113.250", None),
        ("8.8.8.8", None),
        ("10.0.0.1", "private"),
        ("127.0.0.1", "loopback"),
        ("169.254.1.1", "link-local"),
        ("224.0.0.5", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not globally routable"),
        ("255.255.255.255", "reserved"),
    ],
)
def test_public_unicast(addr: str, problem: str | None) -> None:
    assert public_unicast_problem(IPv4Address(addr)) == problem
