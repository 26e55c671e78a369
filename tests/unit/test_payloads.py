"""API payloads: Cloudflare's field names and rules, checked against Cloudflare's OpenAPI."""

from __future__ import annotations

import json
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from netgen import api
from netgen.cloudflare.addressing import tunnel_sides
from tests.scenarios import SCENARIOS, write_inventory
from tests.validators.vyos_schema import vendor_data_dir

SCHEMA_FILE = vendor_data_dir() / "cloudflare" / "magic-api-2024-08-06.json"


@pytest.fixture(scope="module")
def cf_schema() -> dict[str, Any]:
    if not SCHEMA_FILE.is_file():
        pytest.skip(f"Cloudflare API schema not found at {SCHEMA_FILE}")
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    return data


def _payloads(tmp_path: Path, scenario: str) -> dict[str, list[dict[str, Any]]]:
    path = write_inventory(tmp_path, SCENARIOS[scenario]("cisco_iosxe", None))
    return api.plan(path).payloads


@pytest.mark.parametrize("scenario", ["ipsec-dual-isp", "gre-dual-isp", "mixed", "legacy-hc"])
def test_payloads_validate_against_cloudflare_openapi(
    tmp_path: Path, cf_schema: dict[str, Any], scenario: str
) -> None:
    payloads = _payloads(tmp_path, scenario)
    for key, op in (
        ("gre_tunnels", "gre_tunnels_create"),
        ("ipsec_tunnels", "ipsec_tunnels_create"),
        ("routes", "routes_create"),
    ):
        for body in payloads[key]:
            jsonschema.validate(body, cf_schema[op]["request"])


def test_tunnel_payload_fields(tmp_path: Path) -> None:
    payloads = _payloads(tmp_path, "mixed")
    gre = {b["name"]: b for b in payloads["gre_tunnels"]}
    ipsec = {b["name"]: b for b in payloads["ipsec_tunnels"]}
    assert set(gre) == {"hq_b_cf1", "hq_b_cf2"}
    assert gre["hq_b_cf1"]["interface_address"] == "10.252.1.0/31"  # pinned wins
    assert gre["hq_b_cf1"]["customer_gre_endpoint"] == "198.51.100.20"
    assert gre["hq_b_cf1"]["cloudflare_gre_endpoint"] == "192.0.2.10"
    assert gre["hq_b_cf2"]["ttl"] == 32 and gre["hq_b_cf2"]["mtu"] == 1476
    body = ipsec["hq_a_cf1"]
    assert body["cloudflare_endpoint"] == "192.0.2.10"
    assert body["customer_endpoint"] == "203.0.113.10"
    assert body["replay_protection"] is False
    assert body["health_check"] == {
        "enabled": True,
        "type": "reply",
        "rate": "mid",
        "direction": "bidirectional",
    }
    assert "psk" not in body
    for b in [*gre.values(), *ipsec.values()]:
        iface = IPv4Interface(b["interface_address"])
        assert iface.network.prefixlen == 31


def test_routes_use_customer_side_and_tunnel_priority(tmp_path: Path) -> None:
    payloads = _payloads(tmp_path, "mixed")
    tunnels = {
        b["name"]: b
        for b in payloads["gre_tunnels"] + payloads["ipsec_tunnels"]
        if b["name"].startswith("hq_")
    }
    hq_routes = [r for r in payloads["routes"] if r["prefix"] == "10.10.0.0/16"]
    assert len(hq_routes) == 4
    by_hop = {r["nexthop"]: r for r in hq_routes}
    for name, body in tunnels.items():
        customer = str(tunnel_sides(IPv4Interface(body["interface_address"])).customer)
        assert customer in by_hop, name
        expected = 200 if name.startswith("hq_b") else 100
        assert by_hop[customer]["priority"] == expected
    branch = [
        r
        for r in payloads["routes"]
        if IPv4Network(r["prefix"]).subnet_of(IPv4Network("10.20.0.0/15"))
    ]
    assert {r["prefix"] for r in branch} == {"10.20.0.0/16", "10.21.0.0/16"}


def test_magic_transit_defaults_health_checks_to_unidirectional(tmp_path: Path) -> None:
    inv = SCENARIOS["ipsec-dual-isp"]("cisco_iosxe", None)
    inv["account"]["product"] = "magic-transit"
    path = write_inventory(tmp_path, inv)
    payloads = api.plan(path).payloads
    assert {b["health_check"]["direction"] for b in payloads["ipsec_tunnels"]} == {"unidirectional"}


@pytest.mark.parametrize("scenario", ["mixed", "ipsec-dual-isp"])
def test_routes_are_sorted_by_prefix_priority_and_next_hop(tmp_path: Path, scenario: str) -> None:
    from ipaddress import IPv4Address

    routes = _payloads(tmp_path, scenario)["routes"]
    assert len(routes) > 4
    keys = [(IPv4Network(r["prefix"]), r["priority"], IPv4Address(r["nexthop"])) for r in routes]
    if scenario == "mixed":  # backup tunnels: two priorities per prefix
        assert len({r["priority"] for r in routes}) > 1
    assert keys == sorted(keys)
    assert len({r["prefix"] for r in routes}) > 1
