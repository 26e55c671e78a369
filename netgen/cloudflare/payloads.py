"""Cloudflare API request bodies (Cloudflare's own field names).

Each file netgen writes is a JSON array of request bodies, one per object, for
``POST /accounts/{account_id}/magic/gre_tunnels``, ``/ipsec_tunnels`` and ``/routes``
(API schema 2024-08-06: one object per request). PSKs are never part of these bodies:
Cloudflare generates them with ``psk_generate`` (or takes yours through a PUT).
"""

from __future__ import annotations

from typing import Any

from netgen.cloudflare.addressing import tunnel_sides
from netgen.inventory.model import Inventory, Tunnel
from netgen.state.allocate import Allocation


def _health_check(t: Tunnel) -> dict[str, Any]:
    hc = t.settings.health_check
    body: dict[str, Any] = {
        "enabled": hc.enabled,
        "type": hc.type,
        "rate": hc.rate,
        "direction": hc.direction,
    }
    if hc.target is not None:
        body["target"] = str(hc.target)
    return body


def _common(t: Tunnel, alloc: Allocation) -> dict[str, Any]:
    return {
        "name": t.name,
        "description": t.description or f"netgen: {t.site}/{t.device} {t.wan} to {t.endpoint}",
        "interface_address": str(alloc.assignments[t.name].interface_address),
    }


def build_payloads(inv: Inventory, alloc: Allocation) -> dict[str, list[dict[str, Any]]]:
    """``{"gre_tunnels": [...], "ipsec_tunnels": [...], "routes": [...]}``, sorted by name."""
    wan = {(d.name, w.name): w for d in inv.devices() for w in d.wan}
    lans = {s.name: s.lan_prefixes for s in inv.sites}
    gre: list[dict[str, Any]] = []
    ipsec: list[dict[str, Any]] = []
    routes: list[tuple[tuple[int, int, int, int], dict[str, Any]]] = []
    for name in sorted(inv.tunnels):
        t = inv.tunnels[name]
        if name not in alloc.assignments:
            continue
        endpoint = inv.endpoint(t.endpoint)
        link = wan.get((t.device, t.wan))
        if endpoint is None or link is None:
            continue
        body = _common(t, alloc)
        if t.settings.tunnel_type == "gre":
            body |= {
                "customer_gre_endpoint": str(link.address),
                "cloudflare_gre_endpoint": str(endpoint.address),
                "ttl": t.settings.ttl,
                "mtu": t.settings.mtu,
                "health_check": _health_check(t),
            }
            gre.append(body)
        else:
            body |= {
                "customer_endpoint": str(link.address),
                "cloudflare_endpoint": str(endpoint.address),
                "health_check": _health_check(t),
                "replay_protection": t.settings.replay_protection,
            }
            ipsec.append(body)
        customer = tunnel_sides(alloc.assignments[name].interface_address).customer
        nexthop = str(customer)
        for prefix in lans.get(t.site, ()):
            # sorted as (IPv4Network, priority, IPv4Address) sort, with ints
            order = (int(prefix.network_address), prefix.prefixlen, t.priority, int(customer))
            body = {
                "prefix": str(prefix),
                "nexthop": nexthop,
                "priority": t.priority,
                "description": f"netgen: {t.site} via {t.name}",
            }
            routes.append((order, body))
    routes.sort(key=lambda r: r[0])
    return {"gre_tunnels": gre, "ipsec_tunnels": ipsec, "routes": [r for _, r in routes]}
