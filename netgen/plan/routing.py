"""Routes of a device plan: administrative distances from priorities (ECMP for equal ones),
underlay host routes to the Cloudflare endpoints, and the overlay routes to the other sites."""

from __future__ import annotations

from ipaddress import IPv4Network

from netgen.inventory.model import Device, Tunnel
from netgen.plan.model import (
    HopGroup,
    NextHop,
    PlanInputs,
    RoutePlan,
    TunnelPlan,
    UnderlayRoute,
    route_texts,
)


def distances(tunnels: list[Tunnel]) -> dict[str, int]:
    """Administrative distance per tunnel from its priority (lower priority wins).

    Equal priorities share distance 1 (ECMP); each worse priority rank adds 10.
    """
    ranks = sorted({t.priority for t in tunnels})
    return {t.name: 1 + 10 * ranks.index(t.priority) for t in tunnels}


def underlay_routes(plans: list[TunnelPlan]) -> tuple[UnderlayRoute, ...]:
    out: dict[tuple[str, str], UnderlayRoute] = {}
    for t in plans:
        if t.wan.gateway is None:
            continue
        key = (t.endpoint_address, t.wan.name)
        out.setdefault(
            key,
            UnderlayRoute(
                t.endpoint_name,
                t.endpoint_address,
                f"{t.endpoint_address}/32",
                t.wan,
                t.wan.gateway,
            ),
        )
    return tuple(out[k] for k in sorted(out))


def _hops(plans: list[TunnelPlan]) -> tuple[tuple[NextHop, ...], tuple[HopGroup, ...]]:
    hops = tuple(
        NextHop(t.name, t.interface, t.cloudflare_address, t.distance)
        for t in sorted(plans, key=lambda t: (t.distance, t.index))
    )
    groups = tuple(
        HopGroup(d, tuple(h for h in hops if h.distance == d))
        for d in sorted({h.distance for h in hops})
    )
    return hops, groups


def overlay_routes(
    inputs: PlanInputs, device: Device, plans: list[TunnelPlan], via: list[IPv4Network]
) -> tuple[RoutePlan, ...]:
    """The other sites' LAN prefixes, then ``via`` (the device's ordinary ``via_cloudflare``
    prefixes, :func:`split_via`)."""
    if not plans:
        return ()
    hops, groups = _hops(plans)
    remote = inputs.remote_routes.get(device.site, [])
    known = {text[0] for text in remote}
    extra = [route_texts(n) for n in via if str(n) not in known]
    return tuple(RoutePlan(*texts, hops, groups) for texts in remote + extra)


def policy_routes(plans: list[TunnelPlan], policy: list[IPv4Network]) -> tuple[RoutePlan, ...]:
    """Routes for the ``via_cloudflare`` prefixes that cover a Cloudflare endpoint or one of
    the device's WAN addresses or gateways (e.g. 0.0.0.0/0, :func:`split_via`): routing them
    would pull the tunnels' own packets into the tunnels, so they are policy-routed for traffic
    entering from the LAN only."""
    if not plans:
        return ()
    hops, groups = _hops(plans)
    return tuple(RoutePlan(*route_texts(n), hops, groups) for n in policy)


def split_via(inputs: PlanInputs, device: Device) -> tuple[list[IPv4Network], list[IPv4Network]]:
    """(ordinary, policy) ``via_cloudflare`` prefixes of ``device``."""
    underlay = [e.address for e in inputs.inventory.endpoints]
    underlay += [a for w in device.wan for a in (w.address, w.gateway) if a is not None]
    ordinary: list[IPv4Network] = []
    policy: list[IPv4Network] = []
    for n in device.via_cloudflare:
        (policy if any(a in n for a in underlay) else ordinary).append(n)
    return ordinary, policy
